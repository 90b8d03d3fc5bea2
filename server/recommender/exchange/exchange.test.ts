import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainSnapshot } from "../../db/generated/client";
import { Random } from "../../lib/random";
import { openStore } from "../../storage/open";
import type { ObjectStore } from "../../storage/store";
import { createTestDatabase, type TestDatabase } from "../../testing/database";
import { tempLake } from "../../testing/ingestion";
import { startS3Server } from "../../testing/s3-server";
import { loadArtefact } from "../artefacts";
import { writeContentAddressed } from "../binary";
import { historyOf } from "../evaluate";
import { als, foldIn, gram } from "../families/als";
import type { Model } from "../families/types";
import { unpaced } from "../pacer";
import { DEFAULT_TRAIN } from "../pipeline";
import { versionDetail } from "../queries";
import { TrainSession } from "../session";
import { encodeSnapshot, type Snapshot } from "../snapshot";
import { topK } from "../topk";
import { trainFamily, type FamilyTraining } from "../train-family";
import { EXPORT_FILES, exportManifestSchema, FACTOR_FILES, FACTORS_SCHEMA, type FactorsManifest } from "./contract";
import { exportSnapshot, keyIn } from "./export";
import { FactorsRejectedError, importFactors } from "./import";
import { exchangeLocation } from "./location";
import { column, putParquet, readParquetRows, schemaOf } from "./parquet";

let database: TestDatabase;
let lake: Awaited<ReturnType<typeof tempLake>>;
let store: ObjectStore;
let row: TrainSnapshot;
let snapshot: Snapshot;
let session: TrainSession;
let encore: FamilyTraining;

const SEED = 42;
const USERS = { tune: DEFAULT_TRAIN.tuneUsers, evaluate: DEFAULT_TRAIN.evalUsers };
const GENRES = ["Rock", "Jazz", "Hip hop", "Folk"];

/** 120 users who each mostly hear one of 4 genres of 15 tracks, over 30 days: ALS has something to learn. */
function syntheticSnapshot(): Snapshot {
  const random = new Random(7);
  const tracks = 60;
  const users = 120;
  const listenUser: number[] = [];
  const listenTrack: number[] = [];
  const listenTime: number[] = [];
  const start = Date.UTC(2026, 10, 1);
  for (let u = 0; u < users; u++) {
    const taste = u % 4;
    const count = 4 + Math.floor(random.next() * 20);
    for (let k = 0; k < count; k++) {
      const genre = random.next() < 0.85 ? taste : Math.floor(random.next() * 4);
      listenUser.push(u);
      listenTrack.push(genre * 15 + Math.floor(random.next() ** 2 * 15));
      // Microseconds in the time, as a record's created_at may carry.
      listenTime.push(start + k * 86_400_000 + Math.floor(random.next() * 1000) + 0.25);
    }
  }
  return {
    userIds: Int32Array.from({ length: users }, (_, u) => 1000 + u * 7),
    trackIds: Int32Array.from({ length: tracks }, (_, t) => 50 + t * 3),
    listenUser: Int32Array.from(listenUser),
    listenTrack: Int32Array.from(listenTrack),
    listenTime: Float64Array.from(listenTime),
    tracks: {
      name: Array.from({ length: tracks }, (_, t) => `Track ${t} “${GENRES[Math.floor(t / 15)]}”`),
      artist: Array.from({ length: tracks }, (_, t) => `Artist ${t % 9}`),
      genres: Array.from({ length: tracks }, (_, t) => (t % 5 === 0 ? [] : [GENRES[Math.floor(t / 15)]!, "Indie"])),
    },
    users: { favoriteGenres: Array.from({ length: users }, (_, u) => (u % 3 === 0 ? [] : [GENRES[u % 4]!])) },
  };
}

beforeAll(async () => {
  lake = await tempLake();
  store = openStore(lake.dir);
  database = await createTestDatabase();
  snapshot = syntheticSnapshot();
  const { location, digest, bytes } = await writeContentAddressed(store, "snapshots", "snap", encodeSnapshot(snapshot));
  row = await database.db.trainSnapshot.create({
    data: { users: snapshot.userIds.length, tracks: snapshot.trackIds.length, listens: snapshot.listenUser.length, pairs: 0, digest, path: location, bytes },
  });
  // Encore's own ALS, tuned, reported and refitted exactly as a train run's als task does it.
  session = new TrainSession(row, snapshot, SEED, unpaced());
  encore = await trainFamily(session, als, USERS);
});
afterAll(async () => {
  await database.drop();
  await lake.remove();
});

/** Rows of (id, factors) as a trainer writes them; `ids` may carry bigints, as pandas' int64 columns do. */
async function writeFactors(
  target: ObjectStore,
  prefix: string,
  file: string,
  idColumn: string,
  ids: (number | bigint)[],
  factors: number[][],
  element: "FLOAT" | "DOUBLE" = "FLOAT",
) {
  const wide = typeof ids[0] === "bigint";
  const schema = schemaOf([
    wide ? { name: idColumn, type: "INT64", repetition_type: "REQUIRED" } : column.int32(idColumn),
    column.list("factors", { name: "element", type: element, repetition_type: "REQUIRED" }),
  ]);
  await putParquet(target, keyIn(prefix, file), schema, [
    [
      { name: idColumn, data: wide ? ids : Int32Array.from(ids as number[]) },
      { name: "factors", data: factors },
    ],
  ]);
}

const rowsOf = (items: Float32Array, f: number) => Array.from({ length: items.length / f }, (_, i) => Array.from(items.subarray(i * f, (i + 1) * f)));

/** Encore's fit in the contract's format: item factors of the final and test fits, user factors folded in from their listens. */
async function handBack(
  prefix: string,
  change: { manifest?: Partial<FactorsManifest>; items?: (ids: number[], rows: number[][]) => void } = {},
  target: ObjectStore = store,
) {
  const p = encore.params;
  const f = p.factors!;
  const final = encore.models.final.artefact().arrays.items as Float32Array;
  const test = encore.models.test.artefact().arrays.items as Float32Array;
  const trackIds = Array.from(snapshot.trackIds);
  const items = rowsOf(final, f);
  change.items?.(trackIds, items);
  await writeFactors(target, prefix, FACTOR_FILES.items, "track_id", trackIds, items);
  await writeFactors(target, prefix, FACTOR_FILES.testItems, "track_id", Array.from(snapshot.trackIds), rowsOf(test, f));
  const yty = gram(final, snapshot.trackIds.length, f, p.regularization!);
  const users = Array.from(snapshot.userIds, (_, u) => Array.from(foldIn(final, yty, f, p.alpha!, historyOf(session.final.data.matrix, u)).x));
  // As pandas writes them: int64 ids, float64 values.
  await writeFactors(target, prefix, FACTOR_FILES.users, "user_id", Array.from(snapshot.userIds, BigInt), users, "DOUBLE");
  const manifest: FactorsManifest = {
    schema: FACTORS_SCHEMA,
    snapshot: { id: row.id, digest: row.digest },
    seed: SEED,
    family: "als",
    params: { factors: f, regularization: p.regularization!, alpha: p.alpha!, iterations: p.iterations! },
    trainer: { name: "encore-als-as-outsider", version: "test" },
    training_seconds: 1.5,
    ...change.manifest,
  };
  await target.put(keyIn(prefix, FACTOR_FILES.manifest), [Buffer.from(JSON.stringify(manifest))]);
  return { store: target, prefix };
}

const versions = () => database.db.modelVersion.count();

describe("the snapshot export", () => {
  it("writes listens with Encore's test split, tracks and users as Parquet, and a manifest that counts them", async () => {
    const manifest = await exportSnapshot(database, store, row.id, { store, prefix: "exports/snapshot-test" }, SEED);
    expect(exportManifestSchema.parse(JSON.parse(await readText(keyIn("exports/snapshot-test", EXPORT_FILES.manifest))))).toEqual(manifest);
    expect(manifest.snapshot).toMatchObject({ id: row.id, digest: row.digest });
    expect(manifest.files.listens.rows).toBe(snapshot.listenUser.length);

    const listens: unknown[][] = [];
    await readParquetRows(store, "exports/snapshot-test/listens.parquet", ["user_id", "track_id", "listened_at", "held_out"], 1e8, (r) => listens.push(...r));
    expect(listens.map((l) => [l[0], l[1], (l[2] as Date).getTime()])).toEqual(
      Array.from(snapshot.listenUser, (u, i) => [snapshot.userIds[u], snapshot.trackIds[snapshot.listenTrack[i]!], Math.floor(snapshot.listenTime[i]!)]),
    );
    // An outside trainer's training listens (held_out false) are exactly those Encore's test fit learns from.
    const training = listens.filter((l) => l[3] === false).map((l) => `${l[0]}:${l[1]}`);
    const { listens: encoreTraining } = session.test.data;
    expect(training).toEqual(Array.from(encoreTraining.user, (u, i) => `${snapshot.userIds[u]}:${snapshot.trackIds[encoreTraining.track[i]!]}`));
    expect(manifest.split.held_out_listens).toBe(snapshot.listenUser.length - encoreTraining.user.length);
    expect(manifest.split.held_out_listens).toBeGreaterThan(0);

    const tracks: unknown[][] = [];
    await readParquetRows(store, "exports/snapshot-test/tracks.parquet", ["track_id", "name", "artist", "genres"], 1e8, (r) => tracks.push(...r));
    expect(tracks).toEqual(Array.from(snapshot.trackIds, (id, t) => [id, snapshot.tracks.name[t], snapshot.tracks.artist[t], snapshot.tracks.genres[t]]));
    const users: unknown[][] = [];
    await readParquetRows(store, "exports/snapshot-test/users.parquet", ["user_id", "favorite_genres"], 1e8, (r) => users.push(...r));
    expect(users).toEqual(Array.from(snapshot.userIds, (id, u) => [id, snapshot.users.favoriteGenres[u]]));
  });
});

async function readText(key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const top = (model: Model, u: number, k: number) => {
  const scores = new Float32Array(snapshot.trackIds.length);
  model.scoreHistory(historyOf(session.final.data.matrix, u), scores);
  return { scores, top: topK(scores, k) };
};

describe("factors handed back", () => {
  it("from Encore's own ALS become a version that scores identically, with the same test metrics, and is not promoted", async () => {
    const source = await handBack("handback/round-trip");
    const imported = await importFactors(database, store, source, USERS);
    expect(imported.created).toBe(true);
    const version = await database.db.modelVersion.findUniqueOrThrow({ where: { id: imported.versionId } });
    expect(version.family).toBe("als");
    expect(version.runId).toBeNull();
    expect(version.snapshotId).toBe(row.id);
    expect(version.metrics).toEqual(JSON.parse(JSON.stringify(encore.test)));
    expect(encore.test.overall["ndcg@10"]).toBeGreaterThan(0);
    expect(version.params).toEqual({ ...encore.params });
    expect(version.training).toMatchObject({
      seed: SEED,
      seconds: 1.5,
      imported: {
        from: store.locate("handback/round-trip/manifest.json"),
        trainer: { name: "encore-als-as-outsider", version: "test" },
        tracksWithoutFactors: 0,
      },
    });
    expect(await database.db.modelAlias.count()).toBe(0);
    // What the console's version page shows of it.
    expect((await versionDetail(database.db, imported.versionId))!.training.imported).toMatchObject({ trainer: { name: "encore-als-as-outsider" } });

    const served = await loadArtefact(store, { path: version.artefactPath!, digest: version.artefactDigest });
    for (let u = 0; u < snapshot.userIds.length; u++) {
      const ours = top(encore.models.final, u, 10);
      const theirs = top(served, u, 10);
      expect(theirs.top).toEqual(ours.top);
      expect(theirs.scores).toEqual(ours.scores);
    }

    // The same hand-back again is the same version, not a second one.
    const count = await versions();
    const again = await importFactors(database, store, source, USERS);
    expect(again).toMatchObject({ versionId: imported.versionId, created: false });
    expect(await versions()).toBe(count);
  });

  it("leaves tracks the trainer gave no factors at zero, and says how many", async () => {
    const source = await handBack("handback/partial", {
      items: (ids, rows) => {
        ids.splice(0, 3);
        rows.splice(0, 3);
      },
    });
    const imported = await importFactors(database, store, source, USERS);
    expect(imported.tracksWithoutFactors).toBe(3);
    const version = await database.db.modelVersion.findUniqueOrThrow({ where: { id: imported.versionId } });
    const served = await loadArtefact(store, { path: version.artefactPath!, digest: version.artefactDigest });
    expect(Array.from((served.artefact().arrays.items as Float32Array).subarray(0, 3 * encore.params.factors!))).toEqual(
      new Array(3 * encore.params.factors!).fill(0),
    );
  });

  const rejections: [string, Parameters<typeof handBack>[1], RegExp][] = [
    ["a digest other than the snapshot's", { manifest: { snapshot: { id: 0, digest: "0".repeat(64) } } }, /digest 000000000000…, but snapshot \d+ has/],
    ["a snapshot Encore never took", { manifest: { snapshot: { id: 999_999, digest: "0".repeat(64) } } }, /snapshot 999999, which Encore has no record of/],
    ["a track id not in the catalogue", { items: (ids) => void (ids[5] = 424_242) }, /row 5: track_id 424242 is not in snapshot \d+'s catalogue/],
    ["a track given twice", { items: (ids) => void (ids[7] = ids[2]!) }, /row 7: track_id \d+ already had factors at row 2/],
    ["ragged dimensions", { items: (_, rows) => void rows[9]!.pop() }, /row 9: track_id \d+ has 23 factors; the manifest's params.factors is 24/],
    ["a NaN", { items: (_, rows) => void (rows[4]![3] = Number.NaN) }, /row 4: factor 3 of track_id \d+ is NaN, not a finite float32/],
    ["a value past float32", { items: (_, rows) => void (rows[4]![0] = 1e39) }, /factor 0 of track_id \d+ is Infinity/],
    ["a family other than als", { manifest: { family: "ease" as "als" } }, /family/],
  ];
  for (const [what, change, message] of rejections) {
    it(`are refused for ${what}, and nothing is registered`, async () => {
      // The snapshot's id in the wrong-digest case is the real one.
      const fixed = change?.manifest?.snapshot?.id === 0 ? { ...change, manifest: { snapshot: { id: row.id, digest: "0".repeat(64) } } } : change;
      const source = await handBack(`handback/bad-${what.replaceAll(" ", "-")}`, fixed);
      const before = await versions();
      const error = await importFactors(database, store, source, USERS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FactorsRejectedError);
      expect((error as Error).message).toMatch(message);
      expect(await versions()).toBe(before);
    });
  }

  it("are refused when retention deleted the snapshot's file", async () => {
    const gone = await database.db.trainSnapshot.create({
      data: { users: 1, tracks: 1, listens: 1, pairs: 1, digest: "1".repeat(64), path: store.locate("snapshots/gone.snap"), bytes: 1 },
    });
    const source = await handBack("handback/gone", { manifest: { snapshot: { id: gone.id, digest: gone.digest } } });
    await expect(importFactors(database, store, source, USERS)).rejects.toThrow(/Snapshot \d+'s file is gone \(retention deletes files past LAKE_KEEP_DAYS\)/);
  });

  it("are found by a prefix in Encore's store, or a folder of their own", () => {
    expect(exchangeLocation("/exports/snapshot-3/als/", store).prefix).toBe("");
    expect(exchangeLocation("exports/snapshot-3/als/", store)).toEqual({ store, prefix: "exports/snapshot-3/als" });
    expect(exchangeLocation(lake.dir, store).store.url).toBe(lake.dir);
    expect(exchangeLocation("./handback", store).store.url).toBe(path.resolve("handback"));
  });

  it("go out and come back through an S3-compatible store named by URL", async () => {
    const s3 = await startS3Server();
    try {
      const out = exchangeLocation(s3.url("team/snapshot"), store);
      expect(out.prefix).toBe("");
      const manifest = await exportSnapshot(database, store, row.id, out, SEED);
      expect(manifest.files.listens.rows).toBe(snapshot.listenUser.length);
      expect(await out.store.list("")).toEqual(["listens.parquet", "manifest.json", "tracks.parquet", "users.parquet"]);
      const source = await handBack("", {}, exchangeLocation(s3.url("team/factors"), store).store);
      const imported = await importFactors(database, store, source, USERS);
      expect(imported.test).toEqual(encore.test);
    } finally {
      await s3.stop();
    }
  });

  it("are refused without the test-split factors, which the reported metrics need", async () => {
    const source = await handBack("handback/no-test");
    await store.delete(keyIn(source.prefix, FACTOR_FILES.testItems));
    await expect(importFactors(database, store, source, USERS)).rejects.toThrow(/test\/item_factors.parquet does not exist/);
  });
});
