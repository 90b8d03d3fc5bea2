import { Random } from "../lib/random";
import { csrFromTriplets, type Csr } from "./csr";
import type { Snapshot } from "./snapshot";

/** Listens as parallel arrays, sorted by user then time (a snapshot's, or a subset of them). */
export interface Listens {
  user: Int32Array;
  track: Int32Array;
  time: Float64Array;
}

export const listensOf = (s: Snapshot): Listens => ({ user: s.listenUser, track: s.listenTrack, time: s.listenTime });

export interface Holdout {
  /** the listens left for training */
  train: Listens;
  /** per user, the held-out tracks (value 1) */
  test: Csr;
}

export const HOLDOUT_SHARE = 0.2;
export const MIN_TRACKS_TO_HOLD_OUT = 5;

/**
 * Time-based holdout: for each user, the tracks they discovered last (ordered by first listen;
 * tracks first heard at the same moment in an order drawn with `seed`) make the most recent 20% of
 * their tracks, held out with every listen of them. Users with fewer than 5 distinct tracks stay
 * whole in training.
 */
export function holdOut(listens: Listens, users: number, tracks: number, seed: number, share = HOLDOUT_SHARE, minTracks = MIN_TRACKS_TO_HOLD_OUT): Holdout {
  const random = new Random(seed);
  const keep = new Uint8Array(listens.user.length).fill(1);
  const testUser = new Int32Array(listens.user.length);
  const testTrack = new Int32Array(listens.user.length);
  let held = 0;
  const firstAt = new Map<number, number>();
  const heldOut = new Set<number>();
  for (let start = 0; start < listens.user.length; ) {
    const user = listens.user[start]!;
    let end = start;
    firstAt.clear();
    while (end < listens.user.length && listens.user[end] === user) {
      if (!firstAt.has(listens.track[end]!)) firstAt.set(listens.track[end]!, listens.time[end]!);
      end++;
    }
    if (firstAt.size >= minTracks) {
      // Draw a key per track for the ties, in the order tracks were met, so the seed alone decides.
      const order = [...firstAt].map(([track, at]) => ({ track, at, tie: random.next() }));
      order.sort((a, b) => a.at - b.at || a.tie - b.tie);
      const count = Math.max(1, Math.round(share * order.length));
      heldOut.clear();
      for (const { track } of order.slice(order.length - count)) {
        heldOut.add(track);
        testUser[held] = user;
        testTrack[held++] = track;
      }
      for (let i = start; i < end; i++) if (heldOut.has(listens.track[i]!)) keep[i] = 0;
    }
    start = end;
  }
  let left = 0;
  for (const k of keep) left += k;
  // A copy loop, not TypedArray.filter: filter gathers boxed values first (446 MB extra at 10 M listens of float64, against 64 MB).
  const kept = <A extends Int32Array | Float64Array>(a: A, out: A): A => {
    for (let i = 0, n = 0; i < a.length; i++) if (keep[i] === 1) out[n++] = a[i]!;
    return out;
  };
  return {
    train: {
      user: kept(listens.user, new Int32Array(left)),
      track: kept(listens.track, new Int32Array(left)),
      time: kept(listens.time, new Float64Array(left)),
    },
    test: csrFromTriplets(users, tracks, testUser.subarray(0, held), testTrack.subarray(0, held), 1),
  };
}

/** The user × track matrix of listen counts. */
export const countMatrix = (listens: Listens, users: number, tracks: number): Csr => csrFromTriplets(users, tracks, listens.user, listens.track, 1);
