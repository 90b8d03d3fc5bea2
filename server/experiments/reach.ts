import type { Db } from "../db/client";
import type { Experiment, ExperimentVariant, Prisma } from "../db/generated/client";
import { assignVariant, designOf } from "./assignment";

type WithVariants = Experiment & { variants: ExperimentVariant[] };

export interface Reach {
  /** listeners in `users` */
  listeners: number;
  /** those this experiment would take in that no earlier running experiment holds */
  reachable: number;
  /** reachable ÷ listeners; null without listeners */
  share: number | null;
  /** listeners its allocation includes that an earlier running experiment takes first */
  heldBy: { key: string; listeners: number }[];
}

/** Listener ids per statement, so a large `users` is never read whole. */
const CHUNK = 50_000;

/**
 * The listeners an experiment actually reaches: serving places a listener in the first running
 * experiment (by start) that includes them, so `ahead` (those started before it, or every running
 * one for a draft) keep theirs. Counted over the listeners in `users` with the same hashing as serving.
 */
export async function reachOf(db: Prisma.TransactionClient, experiment: WithVariants, ahead: readonly WithVariants[]): Promise<Reach> {
  const design = designOf(experiment);
  const earlier = ahead.filter((a) => a.id !== experiment.id).map((a) => ({ key: a.key, design: designOf(a) }));
  const held = new Map<string, number>();
  let listeners = 0;
  let reachable = 0;
  for (let after = 0; ; ) {
    const rows = await db.$queryRaw<{ id: number }[]>`SELECT id FROM users WHERE id > ${after} ORDER BY id LIMIT ${CHUNK}`;
    for (const { id } of rows) {
      listeners++;
      if (assignVariant(design, id) < 0) continue;
      const first = earlier.find((e) => assignVariant(e.design, id) >= 0);
      if (first) held.set(first.key, (held.get(first.key) ?? 0) + 1);
      else reachable++;
    }
    if (rows.length < CHUNK) break;
    after = rows.at(-1)!.id;
  }
  return { listeners, reachable, share: listeners ? reachable / listeners : null, heldBy: [...held].map(([key, n]) => ({ key, listeners: n })) };
}

/** The running experiments in serving's order (the first that includes a listener takes them). */
export const runningExperiments = (db: Prisma.TransactionClient | Db) =>
  db.experiment.findMany({
    where: { status: "running" },
    include: { variants: { orderBy: { position: "asc" } } },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
  });

/** The reach of a draft (after every running experiment) or of a running one (after those started before it); null once it has ended. */
export async function currentReach(db: Db, experiment: WithVariants): Promise<Reach | null> {
  if (experiment.status !== "draft" && experiment.status !== "running") return null;
  const running = await runningExperiments(db);
  const position = running.findIndex((r) => r.id === experiment.id);
  return reachOf(db, experiment, position < 0 ? running : running.slice(0, position));
}

/** Why a start is refused when it would reach no listener: who holds them, and how to share. */
export function unreachableMessage(key: string, reach: Reach): string {
  const holders = reach.heldBy.map((h) => `"${h.key}"`).join(", ");
  return `Experiment "${key}" would reach 0% of the ${reach.listeners} listeners: ${holders ? `${holders} ${reach.heldBy.length > 1 ? "take" : "takes"} in every listener it would include` : "its allocation includes none of them"}. Give the experiments one namespace with disjoint ranges (e.g. namespace "recs", 0–0.5 for one and 0.5–1 for the other), lower the other's coverage, or stop it first.`;
}

/** Listeners whom running experiments keep on their variant whatever the champion is: exposed so far, and the share each can take in. */
export async function listenersKeptByExperiments(db: Db): Promise<{ key: string; allocation: number; exposed: number }[]> {
  const rows = await db.$queryRaw<{ key: string; allocation: number; exposed: number }[]>`
    SELECT e.key, e.coverage * (e.namespace_end - e.namespace_start) AS allocation, count(x.user_id)::int AS exposed
      FROM experiments e LEFT JOIN experiment_exposures x ON x.experiment_id = e.id
     WHERE e.status = 'running' GROUP BY e.id ORDER BY e.started_at, e.id`;
  return rows.map((r) => ({ key: r.key, allocation: Number(r.allocation), exposed: r.exposed }));
}
