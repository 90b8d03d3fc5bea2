import type { Dataset, SourceRecord } from "../ingestion/records";
import { Random, WeightedSampler } from "../lib/random";
import { EMAIL_DOMAINS, FIRST_NAMES, GENDERS, GENRES, LAST_NAMES, WORDS } from "./vocabulary";

export type SimulatorMode = "original" | "realistic";

export interface CatalogueOptions {
  mode: SimulatorMode;
  seed: number;
  tracks: number;
  users: number;
  histories: number;
  itemsPerHistory: number;
  /** The simulated "now"; records are dated before it. */
  epoch: Date;
}

export const ORIGINAL_SIZES = { tracks: 1000, users: 1000, histories: 1000, itemsPerHistory: 5 } as const;
export const REALISTIC_SIZES = { tracks: 5000, users: 2000, histories: 10000, itemsPerHistory: 20 } as const;

const DAY_MS = 86_400_000;
const FACTORS = 8;
const ORIGINAL_MAX_ID = 100_000;

type Track = SourceRecord<"tracks">;
type User = SourceRecord<"users">;
type History = SourceRecord<"listen_history">;

/** "2025-07-08T16:23:29", a quarter of them with microseconds, as the original server writes them. */
function naiveTimestamp(ms: number, random: Random): string {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  return random.next() < 0.25 ? `${iso}.${String(random.int(0, 999_999)).padStart(6, "0")}` : iso;
}

const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

function vector(random: Random, around?: Float32Array, spread = 1): Float32Array {
  const v = new Float32Array(FACTORS);
  for (let i = 0; i < FACTORS; i++) v[i] = (around?.[i] ?? 0) + random.normal() * spread;
  return v;
}

/**
 * The simulated MooVitamix data. `original` mimics the original server (random words, random ids,
 * histories of random track ids); `realistic` gives listeners tastes that their histories follow.
 */
export class Catalogue {
  readonly records: { tracks: Track[]; users: User[]; listen_history: History[] } = { tracks: [], users: [], listen_history: [] };
  now: Date;
  private readonly random: Random;
  private readonly takenIds = { tracks: new Set<number>(), users: new Set<number>() };
  private readonly historyKeys = new Set<string>();
  // Realistic mode's hidden structure.
  private readonly genreCentroids: Float32Array[] = [];
  private readonly tracksByGenre: number[][] = GENRES.map(() => []);
  private genreSamplers: WeightedSampler[] = [];
  private readonly trackPopularity: number[] = [];
  private readonly userTaste = new Map<number, WeightedSampler>();
  private readonly userActivity: number[] = [];

  constructor(readonly options: CatalogueOptions) {
    this.random = new Random(options.seed);
    this.now = options.epoch;
    if (options.mode === "realistic") {
      for (let g = 0; g < GENRES.length; g++) this.genreCentroids.push(vector(this.random, undefined, 1));
    }
    this.addTracks(options.tracks, this.now.getTime() - 365 * DAY_MS, this.now.getTime());
    this.addUsers(options.users, this.now.getTime() - 365 * DAY_MS, this.now.getTime());
    this.addHistories(options.histories, this.now.getTime() - 120 * DAY_MS, this.now.getTime());
  }

  list(dataset: Dataset): readonly SourceRecord<Dataset>[] {
    return this.records[dataset];
  }

  /** Moves the clock on: each day brings new tracks, users and histories, and edits some existing ones. */
  advance(days: number): void {
    for (let day = 0; day < days; day++) this.advanceDay();
  }

  /**
   * One day: new tracks, users and histories, some edits, and `plays` (listener → tracks they
   * played from what was recommended to them) as one more history each, dated that day.
   */
  advanceDay(plays: ReadonlyMap<number, readonly number[]> = new Map()): void {
    this.advanceTo(new Date(this.now.getTime() + DAY_MS), plays);
  }

  /** Moves the clock on to `to` without activity: a quiet time (a clock ahead of `to` stays). */
  skipTo(to: Date): void {
    if (to.getTime() > this.now.getTime()) this.now = to;
  }

  /**
   * A day's worth of activity dated between the clock and `to`, which becomes the clock: new tracks,
   * users and histories, some edits, and `plays` as one more history each, dated from `playsFrom`
   * (after the recommendations they answer) to `to`.
   */
  advanceTo(to: Date, plays: ReadonlyMap<number, readonly number[]> = new Map(), playsFrom: Date = this.now): void {
    const from = this.now.getTime();
    if (to.getTime() <= from || playsFrom.getTime() < from || playsFrom.getTime() >= to.getTime())
      throw new RangeError(
        `the clock moves on from ${this.now.toISOString()}, plays within it (to ${to.toISOString()}, plays from ${playsFrom.toISOString()})`,
      );
    this.now = to;
    const r = this.random;
    const end = to.getTime();
    this.addTracks(Math.max(1, Math.round(this.records.tracks.length * 0.01)), from, end);
    this.addUsers(Math.max(1, Math.round(this.records.users.length * 0.01)), from, end);
    this.addHistories(Math.max(1, Math.round(this.records.listen_history.length * 0.05)), from, end);
    for (const [userId, items] of plays) if (items.length) this.addHistory(userId, [...new Set(items)], playsFrom.getTime(), end);
    for (const track of this.sample(this.records.tracks, 0.01)) {
      track.album = `${r.pick(WORDS)} ${r.pick(WORDS)}`;
      track.updated_at = naiveTimestamp(r.int(from, end - 1), r);
    }
    for (const user of this.sample(this.records.users, 0.01)) {
      user.email = this.email(user.first_name, user.last_name);
      user.updated_at = naiveTimestamp(r.int(from, end - 1), r);
    }
  }

  /** Inserts `count` new records at the head of a dataset, as a source that changes while it is read. */
  insertAtHead(dataset: Dataset, count: number): void {
    const before = this.records[dataset].length;
    const at = this.now.getTime();
    if (dataset === "tracks") this.addTracks(count, at - DAY_MS, at);
    else if (dataset === "users") this.addUsers(count, at - DAY_MS, at);
    else this.addHistories(count, at - DAY_MS, at);
    const list = this.records[dataset] as SourceRecord<Dataset>[];
    const added = list.splice(before);
    list.unshift(...added);
  }

  private sample<T>(items: T[], share: number): T[] {
    return items.filter(() => this.random.next() < share);
  }

  private newId(kind: "tracks" | "users"): number {
    const taken = this.takenIds[kind];
    if (this.options.mode === "original") {
      // The original server draws ids independently, so the same id can come twice.
      return this.random.int(1, ORIGINAL_MAX_ID);
    }
    const max = Math.max(ORIGINAL_MAX_ID, 2 * (this.options.tracks + this.options.users + taken.size));
    return this.random.distinctInts(1, 1, max, taken)[0]!;
  }

  private email(first: string, last: string): string {
    const r = this.random;
    return `${first}.${last}${r.int(1, 999)}@${r.pick(EMAIL_DOMAINS)}`.toLowerCase();
  }

  private person() {
    return `${this.random.pick(FIRST_NAMES)} ${this.random.pick(LAST_NAMES)}`;
  }

  private timestamps(from: number, to: number): { created_at: string; updated_at: string } {
    const r = this.random;
    const created = r.int(from, to - 1);
    if (this.options.mode === "original") {
      // Independent draws: the original's updated_at is sometimes before created_at.
      return { created_at: naiveTimestamp(created, r), updated_at: naiveTimestamp(r.int(from, to - 1), r) };
    }
    return { created_at: naiveTimestamp(created, r), updated_at: naiveTimestamp(r.int(created, to - 1), r) };
  }

  private addTracks(count: number, from: number, to: number): void {
    const r = this.random;
    const realistic = this.options.mode === "realistic";
    for (let i = 0; i < count; i++) {
      const genre = realistic ? r.int(0, GENRES.length - 1) : -1;
      const index = this.records.tracks.length;
      this.records.tracks.push({
        id: this.newId("tracks"),
        name: realistic ? `${r.pick(WORDS)} ${r.pick(WORDS)}` : r.pick(WORDS),
        artist: this.person(),
        songwriters: this.person(),
        duration: realistic
          ? `${String(r.int(1, 7)).padStart(2, "0")}:${String(r.int(0, 59)).padStart(2, "0")}`
          : `${String(r.int(0, 59)).padStart(2, "0")}:${String(r.int(0, 59)).padStart(2, "0")}`,
        genres: realistic ? GENRES[genre]! : r.pick(WORDS),
        album: r.pick(WORDS),
        ...this.timestamps(from, to),
      });
      if (realistic) {
        this.tracksByGenre[genre]!.push(index);
        // Power-law popularity: most plays go to few tracks.
        this.trackPopularity.push(1 / r.int(1, Math.max(1, this.options.tracks)) ** 1.1);
      }
    }
    if (realistic) {
      this.genreSamplers = this.tracksByGenre.map((indices) => new WeightedSampler(indices.map((i) => this.trackPopularity[i]!)));
    }
  }

  private addUsers(count: number, from: number, to: number): void {
    const r = this.random;
    const realistic = this.options.mode === "realistic";
    for (let i = 0; i < count; i++) {
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      const favourite = r.int(0, GENRES.length - 1);
      const id = this.newId("users");
      this.records.users.push({
        id,
        first_name: first,
        last_name: last,
        email: this.email(first, last),
        gender: r.pick(GENDERS),
        favorite_genres: GENRES[favourite]!,
        ...this.timestamps(from, to),
      });
      if (realistic) {
        const taste = vector(r, this.genreCentroids[favourite], 0.6);
        const affinity = this.genreCentroids.map((c) => Math.exp(1.5 * dot(taste, c)));
        this.userTaste.set(id, new WeightedSampler(affinity));
        this.userActivity.push(Math.exp(r.normal()));
      }
    }
  }

  private addHistories(count: number, from: number, to: number): void {
    const users = this.records.users;
    if (users.length === 0) return;
    const r = this.random;
    const realistic = this.options.mode === "realistic";
    const activity = realistic ? new WeightedSampler(this.userActivity) : undefined;
    for (let i = 0; i < count; i++) {
      // The original server writes one history per user, in the users' order.
      const user = realistic ? users[activity!.draw(r)]! : users[(this.records.listen_history.length + i) % users.length]!;
      this.addHistory(user.id, realistic ? this.listenFor(user.id) : r.distinctInts(this.options.itemsPerHistory, 1, ORIGINAL_MAX_ID), from, to);
    }
  }

  private addHistory(userId: number, items: number[], from: number, to: number): void {
    let stamps = this.timestamps(from, to);
    for (let tries = 0; this.historyKeys.has(`${userId}@${stamps.created_at.slice(0, 19)}`) && tries < 20; tries++) stamps = this.timestamps(from, to);
    this.historyKeys.add(`${userId}@${stamps.created_at.slice(0, 19)}`);
    this.records.listen_history.push({ user_id: userId, items, ...stamps });
  }

  /** The listeners who open the app on a day, drawn by how active they are (realistic mode; every user otherwise). */
  activeListeners(share: number): number[] {
    const users = this.records.users;
    if (this.options.mode !== "realistic") return users.map((u) => u.id);
    const activity = new WeightedSampler(this.userActivity);
    const chosen = new Set<number>();
    const wanted = Math.max(1, Math.round(users.length * share));
    for (let tries = 0; chosen.size < wanted && tries < wanted * 10; tries++) chosen.add(users[activity.draw(this.random)]!.id);
    return [...chosen];
  }

  /**
   * Whether a listener plays a track recommended to them: more likely the more they like its genre
   * (their true taste, which no model sees); 0.1 for a track the simulator does not know.
   */
  playsRecommended(userId: number, trackId: number): boolean {
    const taste = this.userTaste.get(userId);
    const genre = this.genreOf(trackId);
    const chance = taste && genre >= 0 ? Math.min(0.9, 0.05 + 2 * taste.probability(genre)) : 0.1;
    return this.random.next() < chance;
  }

  private genreIndex: Map<number, number> | null = null;
  private genreOf(trackId: number): number {
    if (!this.genreIndex || this.genreIndex.size !== this.records.tracks.length) {
      this.genreIndex = new Map(this.records.tracks.map((t) => [t.id, GENRES.indexOf(t.genres as (typeof GENRES)[number])]));
    }
    return this.genreIndex.get(trackId) ?? -1;
  }

  /**
   * The simulator's own chance that a track `userId` plays is each track (by id), as `listenFor`
   * draws them: the oracle no model can beat, for benchmarks. Realistic mode only.
   */
  listenChances(userId: number): Map<number, number> {
    const taste = this.userTaste.get(userId);
    const chances = new Map<number, number>();
    if (!taste) return chances;
    GENRES.forEach((_, genre) => {
      const inGenre = 0.9 * taste.probability(genre) + 0.1 / GENRES.length;
      this.tracksByGenre[genre]!.forEach((index, position) =>
        chances.set(this.records.tracks[index]!.id, inGenre * this.genreSamplers[genre]!.probability(position)),
      );
    });
    return chances;
  }

  /** Tracks a listener plays: mostly from the genres they like, popular ones more often. */
  private listenFor(userId: number): number[] {
    const r = this.random;
    const taste = this.userTaste.get(userId)!;
    const chosen = new Set<number>();
    const wanted = Math.min(this.options.itemsPerHistory, this.records.tracks.length);
    for (let tries = 0; chosen.size < wanted && tries < wanted * 20; tries++) {
      const explore = r.next() < 0.1;
      const genre = explore ? r.int(0, GENRES.length - 1) : taste.draw(r);
      const sampler = this.genreSamplers[genre];
      const pool = this.tracksByGenre[genre]!;
      if (!sampler || pool.length === 0) continue;
      chosen.add(this.records.tracks[pool[sampler.draw(r)]!]!.id);
    }
    return [...chosen];
  }
}
