import os from "node:os";
import { parseArgs } from "node:util";
import type { Scoring } from "../recommender/candidates";
import { historyOf } from "../recommender/evaluate";
import { familyDefinition } from "../recommender/families/index";
import { hybridModel } from "../recommender/families/hybrid";
import type { Model, TrainingData } from "../recommender/families/types";
import { unpaced } from "../recommender/pacer";
import { atK } from "../recommender/ranking-metrics";
import { excludeHeard, LIGHT_HISTORY, listenerScores, TOP_PER_USER, trackPopularity } from "../recommender/scoring";
import { genreList, type Snapshot } from "../recommender/snapshot";
import { countMatrix, holdOut, listensOf } from "../recommender/split";
import { topK } from "../recommender/topk";
import { Catalogue, type CatalogueOptions } from "../simulator/catalogue";
import { catalogueOptions } from "../simulator/options";

// `npm run bench:candidates [-- --only a,b,c,d --users 1000]`: on bench:train's simulated shapes, fits each family
// on the test split in this process (its first grid point; the blend weighs them equally) and ranks the
// same listeners both ways, candidates then ranking and the whole catalogue: per family, recall@100 of
// the candidates against the exact top 100, NDCG@10 against held-out listening, and scoring time per listener.
interface Scenario {
  label: string;
  name: string;
  sizes: Partial<CatalogueOptions>;
}

const SCENARIOS: Scenario[] = [
  { label: "a", name: "realistic simulator, default size and seed", sizes: {} },
  { label: "b", name: "2,000 users, 17,000 tracks, ~90,000 listens, long-tailed", sizes: { users: 2000, tracks: 17000, histories: 4600, itemsPerHistory: 20 } },
  { label: "c", name: "20,000 users, 50,000 tracks, 2 million listens", sizes: { users: 20000, tracks: 50000, histories: 100000, itemsPerHistory: 20 } },
  { label: "d", name: "20,000 users, 500,000 tracks, 2 million listens", sizes: { users: 20000, tracks: 500000, histories: 100000, itemsPerHistory: 20 } },
];

const SEED = 42;
const FAMILIES = ["popularity", "item_knn", "als", "ease"] as const;

/** The simulator's records as a snapshot (what ingestion then `takeSnapshot` would make of them, without the database). */
function snapshotOf(catalogue: Catalogue): Snapshot {
  const { tracks, users, listen_history } = catalogue.records;
  const sortedTracks = [...tracks].sort((x, y) => x.id - y.id);
  const sortedUsers = [...users].sort((x, y) => x.id - y.id);
  const trackIndex = new Map(sortedTracks.map((t, i) => [t.id, i]));
  const userIndex = new Map(sortedUsers.map((u, i) => [u.id, i]));
  const listens: [number, number, number][] = [];
  for (const h of listen_history) {
    const user = userIndex.get(h.user_id);
    if (user === undefined) continue;
    const time = Date.parse(`${h.created_at}Z`);
    for (const item of h.items) {
      const track = trackIndex.get(item);
      if (track !== undefined) listens.push([user, track, time]);
    }
  }
  listens.sort((x, y) => x[0] - y[0] || x[2] - y[2]);
  return {
    userIds: Int32Array.from(sortedUsers, (u) => u.id),
    trackIds: Int32Array.from(sortedTracks, (t) => t.id),
    listenUser: Int32Array.from(listens, (l) => l[0]),
    listenTrack: Int32Array.from(listens, (l) => l[1]),
    listenTime: Float64Array.from(listens, (l) => l[2]),
    tracks: { name: sortedTracks.map((t) => t.name), artist: sortedTracks.map((t) => t.artist), genres: sortedTracks.map((t) => genreList(t.genres)) },
    users: { favoriteGenres: sortedUsers.map((u) => genreList(u.favorite_genres)) },
  };
}

interface Row {
  family: string;
  listeners: number;
  "recall@100": number;
  "NDCG@10 exhaustive": number;
  "NDCG@10 candidates": number;
  "NDCG change %": number;
  candidates: number;
  "ms/listener exhaustive": number;
  "ms/listener candidates": number;
  /** builds the index (ALS; a blend holding ALS) */
  "first retrieval s": number;
}

function compare(model: Model, snapshot: Snapshot, data: TrainingData, heldOut: TrainingData["matrix"], users: number[]): Row {
  const tracks = snapshot.trackIds.length;
  const catalogue = { trackIds: snapshot.trackIds, genres: snapshot.tracks.genres };
  const popularity = trackPopularity(snapshot);
  const buffers = { scores: new Float32Array(tracks), scratch: new Float32Array(tracks) };
  const rank = (user: number, scoring: Scoring) => {
    const history = historyOf(data.matrix, user);
    const scored = listenerScores(model, catalogue, popularity, history, snapshot.users.favoriteGenres[user]!, buffers, scoring);
    excludeHeard(scored, history);
    const best = topK(scored.scores, TOP_PER_USER);
    return { top: scored.tracks ? best.map((p) => scored.tracks![p]!) : best, candidates: scored.tracks?.length ?? tracks };
  };
  // Warm-up: the first retrieval builds what it keeps (ALS's nearest-neighbour index), timed apart.
  const warm = performance.now();
  rank(users[0]!, "candidates");
  const firstMs = performance.now() - warm;
  let [recall, ndcgExact, ndcgCandidates, candidates, msExact, msCandidates] = [0, 0, 0, 0, 0, 0];
  for (const user of users) {
    const relevant = new Set(heldOut.indices.subarray(heldOut.indptr[user]!, heldOut.indptr[user + 1]!));
    let started = performance.now();
    const exact = rank(user, "exhaustive");
    msExact += performance.now() - started;
    started = performance.now();
    const retrieved = rank(user, "candidates");
    msCandidates += performance.now() - started;
    const found = new Set(retrieved.top);
    let hits = 0;
    for (const t of exact.top) if (found.has(t)) hits++;
    recall += exact.top.length ? hits / exact.top.length : 1;
    ndcgExact += atK(exact.top, relevant, 10).ndcg;
    ndcgCandidates += atK(retrieved.top, relevant, 10).ndcg;
    candidates += retrieved.candidates;
  }
  const n = users.length;
  return {
    family: model.family,
    listeners: n,
    "recall@100": Number((recall / n).toFixed(4)),
    "NDCG@10 exhaustive": Number((ndcgExact / n).toFixed(4)),
    "NDCG@10 candidates": Number((ndcgCandidates / n).toFixed(4)),
    "NDCG change %": Number((ndcgExact ? ((ndcgCandidates - ndcgExact) / ndcgExact) * 100 : 0).toFixed(2)),
    candidates: Math.round(candidates / n),
    "ms/listener exhaustive": Number((msExact / n).toFixed(3)),
    "ms/listener candidates": Number((msCandidates / n).toFixed(3)),
    "first retrieval s": Number((firstMs / 1000).toFixed(2)),
  };
}

async function runScenario(scenario: Scenario, maxUsers: number) {
  const started = performance.now();
  const snapshot = snapshotOf(new Catalogue(catalogueOptions("realistic", SEED, scenario.sizes)));
  const users = snapshot.userIds.length;
  const tracks = snapshot.trackIds.length;
  const split = holdOut(listensOf(snapshot), users, tracks, SEED);
  const data: TrainingData = { matrix: countMatrix(split.train, users, tracks), listens: split.train, snapshot, seed: SEED };
  // Listeners with held-out tracks and a history long enough to be ranked from candidates, evenly spread.
  const eligible: number[] = [];
  for (let u = 0; u < users; u++)
    if (split.test.indptr[u + 1]! > split.test.indptr[u]! && data.matrix.indptr[u + 1]! - data.matrix.indptr[u]! >= LIGHT_HISTORY) eligible.push(u);
  const chosen = eligible.filter((_, k) => k % Math.max(1, Math.ceil(eligible.length / maxUsers)) === 0);
  process.stderr.write(`(${scenario.label}) ${users} users, ${tracks} tracks, ${snapshot.listenUser.length} listens; fitting…\n`);
  const models: Model[] = [];
  const fitSeconds: string[] = [];
  for (const family of FAMILIES) {
    const definition = familyDefinition(family);
    const t = performance.now();
    models.push(await definition.fit(data, definition.grid[0]!, { pace: unpaced(), stage: "test" }));
    fitSeconds.push(`${family} ${((performance.now() - t) / 1000).toFixed(1)}`);
  }
  models.push(hybridModel(models.map((model) => ({ model, weight: 1 }))));
  const prepared = ((performance.now() - started) / 1000).toFixed(1);
  const rows: Row[] = [];
  for (const model of models) {
    process.stderr.write(`(${scenario.label}) ranking ${model.family}…\n`);
    rows.push(compare(model, snapshot, data, split.test, chosen));
  }
  console.log(
    `\n(${scenario.label}) ${scenario.name}: ${users} users, ${tracks} tracks, ${snapshot.listenUser.length} listens; ${chosen.length} listeners ranked`,
  );
  console.table(rows);
  console.log(`simulate, split and fit: ${prepared} s (fits, s: ${fitSeconds.join(" · ")})`);
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: "string" }, users: { type: "string" } } });
  const only = values.only?.split(",") ?? ["a", "b", "c"];
  const maxUsers = Number(values.users ?? 1000);
  for (const scenario of SCENARIOS) if (only.includes(scenario.label)) await runScenario(scenario, maxUsers);
  console.log(`\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
