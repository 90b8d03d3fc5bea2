import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { readResults } from "../../experiments/results-schema";
import { analyzeExperiment } from "../../experiments/analysis";
import { createExperiment, decideExperiment, getExperiment, powerEstimate, startExperiment, stopExperiment } from "../../experiments/experiments";
import { METRIC_KEYS, METRICS } from "../../experiments/metrics";
import { currentReach, listenersKeptByExperiments } from "../../experiments/reach";
import { recordAudit } from "../../audit/log";
import { env } from "../../config/env";
import { sourceIsSimulator } from "../../experiments/demo";
import { triggerJob } from "../../jobs/trigger";
import { requireJob } from "../jobs";
import { experimentKeyParam } from "../../serving/schemas";
import { unservableExperiments } from "../../serving/service";
import { createTRPCRouter, operatorProcedure, signedInProcedure } from "../init";
import { recordId, text } from "../inputs";

const experimentKey = experimentKeyParam;
const metric = z.enum(METRIC_KEYS as [string, ...string[]]);

/** The smallest share a variant may have: a weight of 5e-324 stored as 0, and SRM cannot compare against an empty cell. */
export const MIN_WEIGHT_SHARE = 0.01;
const atLeastFloor = (weights: number[]) => {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.every((w) => w >= MIN_WEIGHT_SHARE * total);
};
const floorMessage = `each weight must be at least ${MIN_WEIGHT_SHARE * 100}% of their total`;

export const experimentDesign = z.object({
  key: experimentKey,
  name: text(200).pipe(z.string().min(1, "give it a name")),
  hypothesis: text(2000).pipe(z.string().min(1, "say what you expect and why")),
  variants: z
    .array(
      z.object({
        key: z.string().regex(/^[a-z0-9_-]{1,32}$/, "use lower-case letters, digits, - and _"),
        versionId: recordId,
        weight: z.number().positive().max(1000),
      }),
    )
    .min(2, "an experiment needs a control and at least one variant")
    .max(6)
    .refine((vs) => new Set(vs.map((v) => v.key)).size === vs.length, "variant keys must differ")
    .refine((vs) => atLeastFloor(vs.map((v) => v.weight)), floorMessage),
  coverage: z.number().gt(0).max(1).default(1),
  namespace: z
    .object({ name: z.string().regex(/^[a-z0-9_-]{1,40}$/), start: z.number().min(0).max(1), end: z.number().min(0).max(1) })
    .refine((ns) => ns.start < ns.end, "the range must not be empty")
    .nullable()
    .default(null),
  primaryMetric: metric,
  secondaryMetrics: z.array(metric).max(10).default([]),
  guardrailMetrics: z.array(metric).max(10).default([]),
  correction: z.enum(["holm", "bh", "none"]).default("holm"),
  sequential: z.boolean().default(true),
  alpha: z.number().min(0.001).max(0.2).default(0.05),
});

const latestResults = async (db: Parameters<typeof getExperiment>[0], experimentId: number) =>
  db.experimentResult.findMany({ where: { experimentId }, orderBy: { day: "asc" } });

export const experimentsRouter = createTRPCRouter({
  metrics: signedInProcedure.query(() =>
    METRIC_KEYS.map((key) => ({
      key,
      label: METRICS[key].label,
      description: METRICS[key].description,
      kind: METRICS[key].kind,
      direction: METRICS[key].direction,
      windowDays: METRICS[key].windowDays,
    })),
  ),
  list: signedInProcedure.query(async ({ ctx }) => {
    const experiments = await ctx.db.experiment.findMany({
      orderBy: { id: "desc" },
      include: { variants: { orderBy: { position: "asc" } }, results: { orderBy: { day: "desc" }, take: 1 } },
    });
    const unservable = unservableExperiments(ctx.database);
    return experiments.map(({ results, ...e }) => ({
      ...e,
      latest: results[0] ? readResults(results[0].results) : null,
      notServed: unservable.get(e.key) ?? null,
    }));
  }),
  get: signedInProcedure.input(z.object({ key: experimentKey })).query(async ({ ctx, input }) => {
    const experiment = await getExperiment(ctx.db, input.key);
    if (!experiment) throw new TRPCError({ code: "NOT_FOUND", message: `No experiment "${input.key}".` });
    const [history, exposuresPerDay] = await Promise.all([
      latestResults(ctx.db, experiment.id),
      ctx.database.pool.query<{ day: string; variant: string; users: number }>(
        `SELECT to_char(date_trunc('day', first_exposed_at), 'YYYY-MM-DD') AS day, variant, count(*)::int AS users FROM experiment_exposures WHERE experiment_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
        [experiment.id],
      ),
    ]);
    const days = history.map((h) => ({ day: h.day.toISOString().slice(0, 10), results: readResults(h.results) }));
    return {
      experiment,
      /** why this running experiment is not served now (its listeners get the champion), else null */
      notServed: unservableExperiments(ctx.database).get(experiment.key) ?? null,
      results: days.at(-1)?.results ?? null,
      history: days,
      exposuresPerDay: exposuresPerDay.rows,
    };
  }),
  power: signedInProcedure
    .input(
      z.object({
        metric,
        /** relative: 0.05 is 5% */
        mde: z.number().min(0.001, "the minimum detectable effect is at least 0.1%").max(1, "the minimum detectable effect is at most 100%"),
        alpha: z.number().min(0.001).max(0.2).default(0.05),
        power: z.number().min(0.5).max(0.99).default(0.8),
        weights: z.array(z.number().positive().max(1000)).min(2).max(6).refine(atLeastFloor, floorMessage),
        coverage: z.number().gt(0).max(1).default(1),
        namespaceShare: z.number().gt(0).max(1).default(1),
        mean: z.number().finite().optional(),
        sd: z.number().finite().positive().optional(),
      }),
    )
    .query(({ ctx, input }) => powerEstimate(ctx.database, input)),
  create: operatorProcedure.input(experimentDesign).mutation(({ ctx, input }) => createExperiment(ctx.db, input, { ...ctx.operator, ip: ctx.ip })),
  start: operatorProcedure
    .input(z.object({ key: experimentKey }))
    .mutation(({ ctx, input }) => startExperiment(ctx.db, input.key, { ...ctx.operator, ip: ctx.ip })),
  stop: operatorProcedure
    .input(z.object({ key: experimentKey }))
    .mutation(({ ctx, input }) => stopExperiment(ctx.db, input.key, { ...ctx.operator, ip: ctx.ip })),
  decide: operatorProcedure
    .input(z.object({ key: experimentKey, variant: z.string().max(32).nullable(), note: text(1000).pipe(z.string().min(3, "say why, in a few words")) }))
    .mutation(({ ctx, input }) => decideExperiment(ctx.db, input.key, { variant: input.variant, note: input.note }, { ...ctx.operator, ip: ctx.ip })),
  /** Starts the demo (7 rounds of the built-in simulator in real time, champion against popularity, decided without shipping) in a job process. */
  demo: operatorProcedure.mutation(async ({ ctx }) => {
    if (!(await sourceIsSimulator(env().MOOVITAMIX_URL)))
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: "The demo needs the built-in simulator as the source (MOOVITAMIX_URL unset); it moves the simulator's days on.",
      });
    const outcome = await triggerJob(requireJob("demo"), { database: ctx.database, env: env() }, { trigger: "console", triggeredBy: ctx.operator.email });
    if (outcome.kind === "busy") throw new TRPCError({ code: "CONFLICT", message: `${outcome.error.message} Wait for it to end.` });
    await recordAudit(ctx.db, {
      action: "pipeline.trigger",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `demo run ${outcome.run.id}`,
    });
    return { runId: outcome.run.id };
  }),
  /** The share of listeners a draft or running experiment reaches, after the running experiments ahead of it. */
  reach: signedInProcedure.input(z.object({ key: experimentKey })).query(async ({ ctx, input }) => {
    const experiment = await getExperiment(ctx.db, input.key);
    if (!experiment) throw new TRPCError({ code: "NOT_FOUND", message: `No experiment "${input.key}".` });
    return currentReach(ctx.db, experiment);
  }),
  /** Running experiments and the listeners they keep on their variant, whatever the champion (the promote and roll back confirmations say it). */
  kept: signedInProcedure.query(({ ctx }) => listenersKeptByExperiments(ctx.db)),
  /** Runs the analyze job now (it also runs after each ingestion) and answers its run. */
  analyzeNow: operatorProcedure.mutation(async ({ ctx }) => {
    const outcome = await triggerJob(requireJob("analyze"), { database: ctx.database, env: env() }, { trigger: "console", triggeredBy: ctx.operator.email });
    if (outcome.kind === "busy") throw new TRPCError({ code: "CONFLICT", message: `${outcome.error.message} Wait for it to end.` });
    await recordAudit(ctx.db, {
      action: "pipeline.trigger",
      actorId: ctx.operator.id,
      actorEmail: ctx.operator.email,
      ip: ctx.ip,
      target: `analyze run ${outcome.run.id}`,
    });
    return { runId: outcome.run.id };
  }),
  /** The results as the data stands now, not stored (the analyze pipeline keeps the day's). */
  analyze: operatorProcedure.input(z.object({ key: experimentKey })).mutation(async ({ ctx, input }) => {
    const experiment = await getExperiment(ctx.db, input.key);
    if (!experiment) throw new TRPCError({ code: "NOT_FOUND", message: `No experiment "${input.key}".` });
    return analyzeExperiment(ctx.database, experiment, { deadlineUtc: env().ALERT_DEADLINE_UTC });
  }),
});
