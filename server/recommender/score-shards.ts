import os from "node:os";
import { z } from "zod";
import type { Database } from "../db/client";
import { openStore } from "../storage/open";
import { loadArtefact } from "./artefacts";
import { inCatalogue } from "./catalogue";
import type { Csr } from "./csr";
import type { Model } from "./families/types";
import { unpaced } from "./pacer";
import { countScored, recentListeners, replaceRecommendations, scoredLines } from "./scoring";
import { readSnapshotFile, type Snapshot } from "./snapshot";
import { countMatrix, listensOf } from "./split";

const stored = z.object({ path: z.string().min(1), digest: z.string().regex(/^[0-9a-f]{64}$/) });
const INT4 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * A slice of a batch scoring that any process can do alone: the users [from, to) of the snapshot, and
 * the user ids [idFrom, idTo] whose rows of the version it replaces (the shards' id ranges cover every
 * int4, so rows of listeners gone from the snapshot go too).
 */
export const scoreShard = z.object({
  versionId: z.number().int().positive(),
  /** the store's url (openStore) */
  store: z.string().min(1),
  snapshot: stored,
  artefact: stored,
  users: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  /** only listeners whose latest listen is this many days before the snapshot's latest, at most (0: all) */
  recentDays: z.number().int().min(0),
  ids: z.tuple([z.number().int().min(INT4.min), z.number().int().max(INT4.max)]),
});
export type ScoreShard = z.infer<typeof scoreShard>;

export const shardReport = z.object({ users: z.number().int(), host: z.string(), pid: z.number().int(), seconds: z.number() });
export type ShardReport = z.infer<typeof shardReport>;

/** Scores shards somewhere (workers of a queue); `onDone` as each one ends. Rejects when one fails for good. */
export type ShardRunner = (database: Database, shards: ScoreShard[], signal: AbortSignal, onDone: (report: ShardReport) => void) => Promise<ShardReport[]>;

/** The shards of a batch scoring: `size` users each, in snapshot order. */
export function shardsOf(job: Omit<ScoreShard, "users" | "ids">, userIds: Int32Array, size: number): ScoreShard[] {
  const shards: ScoreShard[] = [];
  for (let from = 0; from < userIds.length; from += size) {
    const to = Math.min(userIds.length, from + size);
    const idFrom = from === 0 ? INT4.min : userIds[from]!;
    const idTo = to === userIds.length ? INT4.max : userIds[to]! - 1;
    shards.push({ ...job, users: [from, to], ids: [idFrom, idTo] });
  }
  return shards;
}

export interface ScoringInputs {
  snapshot: Snapshot;
  matrix: Csr;
  model: Model;
  /** the listeners to store rows for (null: all) */
  recent: Uint8Array | null;
}

/** The version's model over the snapshot's catalogue, from the store. */
export const loadScoringModel = async (job: Pick<ScoreShard, "store" | "artefact">, snapshot: Snapshot): Promise<Model> =>
  inCatalogue(await loadArtefact(openStore(job.store), job.artefact), snapshot.trackIds);

/** What scoring needs, from the store: the same files give the same matrix and model in any process. */
export async function loadScoringInputs(job: Pick<ScoreShard, "store" | "snapshot" | "artefact" | "recentDays">): Promise<ScoringInputs> {
  const snapshot = await readSnapshotFile(openStore(job.store), job.snapshot);
  const matrix = countMatrix(listensOf(snapshot), snapshot.userIds.length, snapshot.trackIds.length);
  return { snapshot, matrix, model: await loadScoringModel(job, snapshot), recent: recentListeners(snapshot, job.recentDays) };
}

/** The last inputs loaded, kept: a worker takes shard after shard of the same scoring. */
let cached: { key: string; inputs: Promise<ScoringInputs> } | undefined;

function inputsOf(shard: ScoreShard): Promise<ScoringInputs> {
  const key = `${shard.store}|${shard.snapshot.digest}|${shard.artefact.digest}|${shard.recentDays}`;
  if (cached?.key !== key) {
    const inputs = loadScoringInputs(shard);
    cached = { key, inputs };
    inputs.catch(() => {
      if (cached?.key === key) cached = undefined;
    });
  }
  return cached.inputs;
}

/** Scores one shard and replaces the version's rows of its id range in one transaction: taking it again redoes it whole. */
export async function runScoreShard(database: Database, shard: ScoreShard): Promise<ShardReport> {
  const started = performance.now();
  const { snapshot, matrix, model, recent } = await inputsOf(shard);
  if (shard.users[1] > snapshot.userIds.length || shard.users[0] > shard.users[1])
    throw new Error(`shard users ${shard.users.join("–")} are not in the snapshot`);
  await replaceRecommendations(database, shard.versionId, shard.ids, scoredLines(shard.versionId, model, snapshot, matrix, shard.users, unpaced(), recent));
  return { users: countScored(recent, shard.users), host: os.hostname(), pid: process.pid, seconds: (performance.now() - started) / 1000 };
}
