import { execFileSync } from "node:child_process";
import { recordAudit } from "../audit/log";
import { DomainError } from "../domain/errors";
import type { Db } from "../db/client";
import type { ObjectStore } from "../storage/store";
import type { ModelVersion, Prisma } from "../db/generated/client";

export const ALIASES = ["champion", "challenger"] as const;
export type Alias = (typeof ALIASES)[number];

let commit: string | undefined;
/** The code that trains: ENCORE_COMMIT when the deployment sets it, else the checkout's HEAD. */
export function codeVersion(): string {
  commit ??=
    process.env.ENCORE_COMMIT ??
    (() => {
      try {
        return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      } catch {
        return "unknown";
      }
    })();
  return commit;
}

export const championOf = (db: Db) => db.modelAlias.findUnique({ where: { alias: "champion" }, include: { version: true } });

export class PrunedArtefactError extends DomainError {
  constructor(versionId: number) {
    super("PRECONDITION_FAILED", `Version ${versionId}'s artefact was pruned; it cannot be served.`);
    this.name = "PrunedArtefactError";
  }
}

export class UnknownVersionError extends DomainError {
  constructor(versionId: number) {
    super("NOT_FOUND", `No model version ${versionId}.`);
    this.name = "UnknownVersionError";
  }
}

/**
 * Points `alias` at a version and audits it; versions never change. A version whose artefact was
 * pruned cannot be served, so it cannot become champion.
 */
export async function setAlias(
  db: Db,
  alias: Alias,
  versionId: number,
  actor: { id?: number; email: string; ip?: string },
  reason: string,
): Promise<ModelVersion> {
  return db.$transaction((tx) => moveAlias(tx, alias, versionId, actor, reason));
}

/** setAlias inside the caller's transaction (an experiment's decision commits with its promotion). */
export async function moveAlias(
  tx: Prisma.TransactionClient,
  alias: Alias,
  versionId: number,
  actor: { id?: number; email: string; ip?: string },
  reason: string,
): Promise<ModelVersion> {
  const version = await tx.modelVersion.findUnique({ where: { id: versionId } });
  if (!version) throw new UnknownVersionError(versionId);
  if (version.artefactPrunedAt) throw new PrunedArtefactError(versionId);
  const before = await tx.modelAlias.findUnique({ where: { alias } });
  await tx.modelAlias.upsert({
    where: { alias },
    create: { alias, versionId, updatedBy: actor.email, reason },
    update: { versionId, updatedBy: actor.email, reason, updatedAt: new Date() },
  });
  await recordAudit(tx, {
    action: alias === "champion" ? "model.promote" : `model.${alias}`,
    actorId: actor.id ?? null,
    actorEmail: actor.email,
    ip: actor.ip ?? null,
    target: `version ${versionId}`,
    detail: { alias, from: before?.versionId ?? null, to: versionId, reason } as Prisma.InputJsonValue,
  });
  return version;
}

/**
 * Removes the artefact files of versions past the newest `keep` that no alias points at and no
 * undecided experiment (draft, running or stopped) uses; their rows stay.
 */
export async function pruneArtefacts(db: Db, store: ObjectStore, keep: number): Promise<number[]> {
  const [aliases, variants] = await Promise.all([
    db.modelAlias.findMany({ select: { versionId: true } }),
    db.experimentVariant.findMany({ where: { experiment: { status: { not: "decided" } } }, select: { versionId: true } }),
  ]);
  const kept = new Set([...aliases, ...variants].map((a) => a.versionId));
  const old = await db.modelVersion.findMany({
    where: { artefactPrunedAt: null },
    orderBy: { id: "desc" },
    skip: keep,
    select: { id: true, artefactPath: true, artefactDigest: true },
  });
  const pruned: number[] = [];
  for (const version of old) {
    if (kept.has(version.id)) continue;
    // Content-addressed files may be shared by versions with identical models: only the last user removes it.
    const sharing = await db.modelVersion.count({ where: { artefactDigest: version.artefactDigest, artefactPrunedAt: null, id: { not: version.id } } });
    if (sharing === 0 && version.artefactPath) await store.delete(store.keyOf(version.artefactPath));
    await db.modelVersion.update({ where: { id: version.id }, data: { artefactPrunedAt: new Date(), artefactPath: null } });
    pruned.push(version.id);
  }
  return pruned;
}
