import type { Database } from "../db/client";
import type { CheckLevel, PipelineRun, Prisma } from "../db/generated/client";
import type { TaskContext } from "./types";

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

/** What a check is, in words: its name, what it is per, when it warns and when it fails (the docs' tables are made from these). */
export interface CheckDeclaration {
  name: string;
  per: string;
  warn: string;
  error: string;
}

/** A check declared once, as Dagster's asset checks: it measures, and its outcomes carry its name. */
export type DataCheck<Policy> = ((ctx: CheckContext<Policy>) => Promise<CheckOutcome[]>) & { declared: CheckDeclaration };

/** An outcome as a check measures it; the check's name is added from its declaration. */
export type Measured = Omit<CheckOutcome, "check">;

export function declareCheck<Policy>(declared: CheckDeclaration, measure: (ctx: CheckContext<Policy>) => Promise<Measured[]>): DataCheck<Policy> {
  return Object.assign(async (ctx: CheckContext<Policy>) => (await measure(ctx)).map((outcome) => ({ check: declared.name, ...outcome })), { declared });
}

/** The Markdown table of `checks` (docs/ingestion.md holds the ingestion's, kept by `npm run docs:config`). */
export function checksTable(checks: { declared: CheckDeclaration }[]): string {
  const rows = checks.map(({ declared: d }) => `| \`${d.name}\` | ${d.per} | ${d.warn} | ${d.error} |`);
  return ["| check | per | WARN | ERROR |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

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
      data: outcomes.map((o) => ({
        runId: ctx.run.id,
        check: o.check,
        dataset: o.dataset,
        level: o.level,
        measured: o.measured as Prisma.InputJsonValue,
        message: o.message,
      })),
    }),
  ]);
  return outcomes;
}

const named = (o: CheckOutcome) => `${o.check}${o.dataset ? `(${o.dataset})` : ""}`;

/**
 * A task's checks: run and stored on its run, counted and logged on the task; any ERROR fails the
 * task, so the run fails and whatever comes after it is blocked.
 */
export async function checkTask<Policy>(ctx: TaskContext, checks: DataCheck<Policy>[], policy: Policy): Promise<void> {
  const outcomes = await runChecks({ database: ctx.database, run: ctx.run, policy, now: new Date() }, checks);
  for (const o of outcomes) if (o.level !== "ok") ctx.log(`${o.level.toUpperCase()} ${named(o)}: ${o.message}`);
  const count = (level: CheckLevel) => outcomes.filter((o) => o.level === level).length;
  ctx.detail({ checks: { ok: count("ok"), warn: count("warn"), error: count("error") } });
  ctx.log(`${outcomes.length} checks: ${count("ok")} ok, ${count("warn")} warn, ${count("error")} error`);
  const errors = outcomes.filter((o) => o.level === "error");
  if (errors.length) throw new Error(`ERROR checks: ${errors.map((o) => `${named(o)}: ${o.message}`).join("; ")}`);
}
