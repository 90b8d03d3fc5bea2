import { grade, type CheckOutcome, type DataCheck } from "../pipeline/checks";
import type { Snapshot } from "./snapshot";
import { MIN_TRACKS_TO_HOLD_OUT } from "./split";

/** The train pipeline's own checks, on the snapshot it is about to learn from. */
export interface SnapshotFacts {
  listens: number;
  users: number;
  /** users with enough distinct tracks to hold some out: the ones evaluation can judge */
  evaluableUsers: number;
}

export function snapshotFacts(s: Snapshot): SnapshotFacts {
  let evaluable = 0;
  const tracks = new Set<number>();
  for (let i = 0; i <= s.listenUser.length; i++) {
    if (i === s.listenUser.length || (i > 0 && s.listenUser[i] !== s.listenUser[i - 1])) {
      if (tracks.size >= MIN_TRACKS_TO_HOLD_OUT) evaluable++;
      tracks.clear();
    }
    if (i < s.listenUser.length) tracks.add(s.listenTrack[i]!);
  }
  return { listens: s.listenUser.length, users: s.userIds.length, evaluableUsers: evaluable };
}

/** Too few users with a history long enough to hold out: models cannot be told apart (ERROR under 10, WARN under 100). */
export const evaluableUsersCheck: DataCheck<SnapshotFacts> = async ({ policy: facts }) => [
  {
    check: "evaluable_users",
    dataset: "",
    level: grade(-facts.evaluableUsers, -100, -10),
    measured: { ...facts, warnBelow: 100, errorBelow: 10 },
    message: `${facts.evaluableUsers} of ${facts.users} users have ${MIN_TRACKS_TO_HOLD_OUT} or more tracks to evaluate on (${facts.listens} listens in all)`,
  } satisfies CheckOutcome,
];

export const SNAPSHOT_CHECKS = [evaluableUsersCheck];
