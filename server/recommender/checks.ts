import { grade, type CheckOutcome, type DataCheck } from "../pipeline/checks";
import { tracksPerUser, type Snapshot } from "./snapshot";
import { MIN_TRACKS_TO_HOLD_OUT } from "./split";

/** The train pipeline's own checks, on the snapshot it is about to learn from. */
export interface SnapshotFacts {
  listens: number;
  users: number;
  /** users with enough distinct tracks to hold some out: the ones evaluation can judge */
  evaluableUsers: number;
}

export const snapshotFacts = (s: Snapshot): SnapshotFacts => ({
  listens: s.listenUser.length,
  users: s.userIds.length,
  evaluableUsers: tracksPerUser(s).filter((n) => n >= MIN_TRACKS_TO_HOLD_OUT).length,
});

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
