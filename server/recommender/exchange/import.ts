import { createHash } from "node:crypto";
import { z } from "zod";
import type { Database } from "../../db/client";
import { readJson, writeJson } from "../../db/json";
import { DomainError } from "../../domain/errors";
import { MissingObjectError, type ObjectStore } from "../../storage/store";
import { saveArtefact } from "../artefacts";
import { evaluationSchema, type Evaluation } from "../evaluate";
import { als, alsModel } from "../families/als";
import { popularity } from "../families/popularity";
import type { Params } from "../families/types";
import { versionTrainingSchema } from "../outputs";
import { Pacer } from "../pacer";
import { TrainSession } from "../session";
import { loadSnapshot } from "../snapshot";
import { trainFamily } from "../train-family";
import { FACTOR_FILES, factorsManifestSchema, type FactorsManifest } from "./contract";
import { keyIn } from "./export";
import { ParquetContractError, readParquetRows } from "./parquet";

/** A hand-back that breaks the contract: the message says which file, which row and what to change. Nothing was registered. */
export class FactorsRejectedError extends DomainError {
  constructor(message: string) {
    super("BAD_REQUEST", message);
    this.name = "FactorsRejectedError";
  }
}

const MAX_MANIFEST_BYTES = 64 * 1024;

/** Where a hand-back lies: a store and the prefix of its files there. */
export interface FactorsSource {
  store: ObjectStore;
  prefix: string;
}

async function readManifest(source: FactorsSource): Promise<{ manifest: FactorsManifest; sha256: string }> {
  const key = keyIn(source.prefix, FACTOR_FILES.manifest);
  const stat = await source.store.stat(key);
  if (!stat) throw new FactorsRejectedError(`${source.store.locate(key)} does not exist: a hand-back needs its manifest (docs/exchange.md).`);
  if (stat.bytes > MAX_MANIFEST_BYTES)
    throw new FactorsRejectedError(`${source.store.locate(key)} is ${stat.bytes} bytes; a manifest is at most ${MAX_MANIFEST_BYTES}.`);
  const chunks: Buffer[] = [];
  for await (const chunk of await source.store.get(key)) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks);
  let json: unknown;
  try {
    json = JSON.parse(text.toString("utf8"));
  } catch (error) {
    throw new FactorsRejectedError(`${source.store.locate(key)} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = factorsManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new FactorsRejectedError(`${source.store.locate(key)} does not follow ${FACTOR_FILES.manifest}'s contract:\n${z.prettifyError(parsed.error)}`);
  return { manifest: parsed.data, sha256: createHash("sha256").update(text).digest("hex") };
}

/**
 * One factors file as rows of `ids` (a snapshot's sorted users or tracks) × `f` float32 factors.
 * Refuses an id not in `ids` or given twice, a row of another length than `f`, a value that is not
 * a finite float32; entities without a row keep zeros (as Encore's ALS leaves tracks nobody heard).
 */
export async function readFactors(
  source: FactorsSource,
  file: string,
  idColumn: "track_id" | "user_id",
  ids: Int32Array,
  f: number,
  what: string,
): Promise<{ factors: Float32Array; rows: number }> {
  const key = keyIn(source.prefix, file);
  const where = source.store.locate(key);
  const position = new Map<number, number>();
  ids.forEach((id, i) => position.set(id, i));
  const factors = new Float32Array(ids.length * f);
  const rowOf = new Int32Array(ids.length).fill(-1);
  let row = 0;
  const reject = (why: string) => new FactorsRejectedError(`${where}, row ${row}: ${why}`);
  const onRows = (rows: unknown[][]) => {
    for (const [rawId, values] of rows) {
      const id = typeof rawId === "bigint" ? Number(rawId) : rawId;
      if (typeof id !== "number" || !Number.isInteger(id)) throw reject(`${idColumn} ${String(rawId)} is not an integer id`);
      const at = position.get(id);
      if (at === undefined) throw reject(`${idColumn} ${id} is not in ${what}`);
      if (rowOf[at] !== -1) throw reject(`${idColumn} ${id} already had factors at row ${rowOf[at]}`);
      rowOf[at] = row;
      if (!Array.isArray(values) && !ArrayBuffer.isView(values)) throw reject(`factors of ${idColumn} ${id} are not a list`);
      const list = values as ArrayLike<unknown>;
      if (list.length !== f) throw reject(`${idColumn} ${id} has ${list.length} factors; the manifest's params.factors is ${f} (every row has one dimension)`);
      for (let k = 0; k < f; k++) {
        const value = list[k];
        // Stored as float32: a double past float32's range would become infinite there.
        const stored = typeof value === "number" ? Math.fround(value) : Number.NaN;
        if (!Number.isFinite(stored)) throw reject(`factor ${k} of ${idColumn} ${id} is ${String(value)}, not a finite float32`);
        factors[at * f + k] = stored;
      }
      row++;
    }
  };
  // A generous bound on the file: every entity once, each factor a double with its list levels, plus the footer.
  const maxBytes = 1024 * 1024 + ids.length * (f * 16 + 64);
  try {
    await readParquetRows(source.store, key, [idColumn, "factors"], maxBytes, onRows);
  } catch (error) {
    if (error instanceof ParquetContractError) throw new FactorsRejectedError(error.message);
    throw error;
  }
  return { factors, rows: row };
}

export interface ImportedVersion {
  versionId: number;
  /** false when these exact factors were imported on this snapshot before: that version is returned */
  created: boolean;
  test: Evaluation;
  baseline: Evaluation;
  tracksWithoutFactors: number;
}

/**
 * Checks a trainer's hand-back against the snapshot it names, builds Encore's ALS from its item
 * factors (users are folded in from their history when served, so user factors are only checked),
 * evaluates the test-split factors exactly as a train run evaluates its own, and registers the
 * served factors as an immutable version; aliases are left alone (promote it, or A/B test it).
 */
export async function importFactors(
  database: Database,
  store: ObjectStore,
  source: FactorsSource,
  users: { tune: number; evaluate: number },
  signal?: AbortSignal,
): Promise<ImportedVersion> {
  const { manifest, sha256 } = await readManifest(source);
  const { db } = database;
  const row = await db.trainSnapshot.findUnique({ where: { id: manifest.snapshot.id } });
  if (!row) throw new FactorsRejectedError(`The factors were trained on snapshot ${manifest.snapshot.id}, which Encore has no record of.`);
  if (row.digest !== manifest.snapshot.digest)
    throw new FactorsRejectedError(
      `The factors were trained on data with digest ${manifest.snapshot.digest.slice(0, 12)}…, but snapshot ${row.id} has ${row.digest.slice(0, 12)}…: export the snapshot again and train on that export.`,
    );
  const { snapshot } = await loadSnapshot(database, store, row.id).catch((error: unknown) => {
    if (error instanceof MissingObjectError)
      throw new FactorsRejectedError(
        `Snapshot ${row.id}'s file is gone (retention deletes files past LAKE_KEEP_DAYS): ${error.message}. Export a newer snapshot and train on that.`,
      );
    throw error;
  });
  const f = manifest.params.factors;
  const catalogue = `snapshot ${row.id}'s catalogue`;
  const final = await readFactors(source, FACTOR_FILES.items, "track_id", snapshot.trackIds, f, catalogue);
  const test = await readFactors(source, FACTOR_FILES.testItems, "track_id", snapshot.trackIds, f, catalogue);
  for (const file of [FACTOR_FILES.users, FACTOR_FILES.testUsers])
    if (await source.store.stat(keyIn(source.prefix, file))) await readFactors(source, file, "user_id", snapshot.userIds, f, `snapshot ${row.id}'s users`);

  // Encore's ALS configuration: the trainer's parameters, and the CG steps Encore uses when it refits this configuration (promotion does).
  const params: Params = { ...manifest.params, cgSteps: als.grid[0]!.cgSteps! };
  const session = new TrainSession(row, snapshot, manifest.seed, new Pacer(signal));
  const evaluation = await session.evaluate(alsModel(snapshot.trackIds, test.factors, params), "test", users.evaluate);
  const baseline = (await trainFamily(session, popularity, users)).test;
  const artefact = await saveArtefact(store, alsModel(snapshot.trackIds, final.factors, params));
  const tracksWithoutFactors = snapshot.trackIds.length - final.rows;

  const imported = {
    from: source.store.locate(keyIn(source.prefix, FACTOR_FILES.manifest)),
    trainer: manifest.trainer,
    manifestSha256: sha256,
    tracksWithoutFactors,
  };
  const same = await db.modelVersion.findMany({ where: { snapshotId: row.id, family: "als", artefactDigest: artefact.digest, artefactPrunedAt: null } });
  const earlier = same.find((v) => readJson("model_versions.training", versionTrainingSchema, v.training).imported !== undefined);
  if (earlier) return { versionId: earlier.id, created: false, test: evaluation, baseline, tracksWithoutFactors };

  const version = await db.modelVersion.create({
    data: {
      family: "als",
      params,
      codeVersion: manifest.trainer.version ? `${manifest.trainer.name} ${manifest.trainer.version}` : manifest.trainer.name,
      snapshotId: row.id,
      runId: null,
      metrics: writeJson(evaluationSchema, evaluation),
      baselineMetrics: writeJson(evaluationSchema, baseline),
      // Time and resources are the trainer's, which Encore did not see: only its own wall time, when the manifest gives it.
      training: writeJson(versionTrainingSchema, {
        seconds: manifest.training_seconds ?? 0,
        cpuSeconds: 0,
        peakRssBytes: 0,
        seed: manifest.seed,
        tuning: [],
        imported,
      }),
      artefactPath: artefact.path,
      artefactDigest: artefact.digest,
      artefactBytes: artefact.bytes,
      decision: `imported from ${manifest.trainer.name}; not promoted (promote it or A/B test it)`,
    },
    select: { id: true },
  });
  return { versionId: version.id, created: true, test: evaluation, baseline, tracksWithoutFactors };
}
