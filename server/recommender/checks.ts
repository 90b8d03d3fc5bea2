import { declareCheck, grade, type DataCheck } from "../pipeline/checks";
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

/** Too few users with a history long enough to hold out: models cannot be told apart. */
const EVALUABLE_USERS = { warnBelow: 100, errorBelow: 10 };

export const evaluableUsersCheck: DataCheck<SnapshotFacts> = declareCheck(
  {
    name: "evaluable_users",
    per: "run",
    warn: `under ${EVALUABLE_USERS.warnBelow} users with ${MIN_TRACKS_TO_HOLD_OUT} or more tracks to hold out`,
    error: `under ${EVALUABLE_USERS.errorBelow}: the run stops before anything is fitted`,
  },
  async ({ policy: facts }) => [
    {
      dataset: "",
      level: grade(-facts.evaluableUsers, -EVALUABLE_USERS.warnBelow, -EVALUABLE_USERS.errorBelow),
      measured: { ...facts, ...EVALUABLE_USERS },
      message: `${facts.evaluableUsers} of ${facts.users} users have ${MIN_TRACKS_TO_HOLD_OUT} or more tracks to evaluate on (${facts.listens} listens in all)`,
    },
  ],
);

export const SNAPSHOT_CHECKS = [evaluableUsersCheck];
