import type { Database } from "../db/client";
import type { CheckLevel, PipelineRun, Prisma } from "../db/generated/client";

/** One check's verdict on one run (and dataset, where it has one), with what it measured. */
export interface CheckOutcome {
  check: string;
  dataset: string;
  level: CheckLevel;
  measured: Record<string, unknown>;
  message: string;
}

export interface CheckContext<Policy> {
  database: Database;
  run: PipelineRun;
  policy: Policy;
  now: Date;
}

export type DataCheck<Policy> = (ctx: CheckContext<Policy>) => Promise<CheckOutcome[]>;

/** error above `errorAbove`, else warn above `warnAbove`, else ok; a threshold left undefined never trips. */
export function grade(value: number, warnAbove: number | undefined, errorAbove?: number): CheckLevel {
  if (errorAbove !== undefined && value > errorAbove) return "error";
  if (warnAbove !== undefined && value > warnAbove) return "warn";
  return "ok";
}

export const percent = (share: number) => `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 1)}%`;

/** Runs every check, stores the outcomes on the run (a retry replaces them) and returns them. */
export async function runChecks<Policy>(ctx: CheckContext<Policy>, checks: DataCheck<Policy>[]): Promise<CheckOutcome[]> {
  const outcomes = (await Promise.all(checks.map((check) => check(ctx)))).flat();
  const { db } = ctx.database;
  await db.$transaction([
    db.checkResult.deleteMany({ where: { runId: ctx.run.id } }),
    db.checkResult.createMany({
      data: outcomes.map((o) => ({ runId: ctx.run.id, check: o.check, dataset: o.dataset, level: o.level, measured: o.measured as Prisma.InputJsonValue, message: o.message })),
    }),
  ]);
  return outcomes;
}
