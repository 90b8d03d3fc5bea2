import { z } from "zod";
import { parseTrustProxy } from "./auth/client-ip";

/** Thrown when the environment is invalid; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const postgresUrl = optionalString.refine(
  (v) => v === undefined || /^postgres(ql)?:\/\/[^/\s]+\/?/.test(v) && URL.canParse(v),
  "must be a postgresql:// URL, e.g. postgresql://user:pass@host:5432/encore",
);

const httpUrl = optionalString.refine(
  (v) => v === undefined || (/^https?:\/\//.test(v) && URL.canParse(v)),
  "must be an http(s):// URL",
);

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: postgresUrl,
    MOOVITAMIX_URL: httpUrl,
    /** sent as `Authorization: Bearer …` to the source; user:password in MOOVITAMIX_URL are sent as Basic instead */
    MOOVITAMIX_TOKEN: optionalString,
    NEXTAUTH_SECRET: optionalString.refine(
      (v) => v === undefined || v.length >= 32,
      "must be at least 32 characters (e.g. `openssl rand -base64 32`)",
    ),
    NEXTAUTH_URL: httpUrl,
    CRON_SECRET: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
    ADMIN_EMAIL: optionalString.pipe(z.email("must be an e-mail address").optional()),
    ADMIN_PASSWORD: optionalString.refine(
      (v) => v === undefined || v.length >= 12,
      "must be at least 12 characters",
    ),
    PORT: port(3000),
    /** the address the console listens on; unset: every interface */
    HOSTNAME: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9.:[\]%-]{1,253}$/.test(v), "must be a host name or an IP address"),
    /** which proxies in front may name the client (X-Forwarded-For): unset, a hop count, or addresses/CIDR blocks */
    TRUST_PROXY: optionalString.superRefine((v, ctx) => {
      try {
        parseTrustProxy(v);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `must be ${(error as Error).message}` });
      }
    }),
    DATA_DIR: z.string().default(".data"),
    EMBEDDED_PG_PORT: port(54329),
    DATA_LAKE_DIR: optionalString,
    SCHEDULER: z.enum(["on", "off"]).default("on"),
    INGEST_SCHEDULE: z
      .string()
      .default("0 2 * * *")
      .refine((v) => v.trim().split(/\s+/).length >= 5, "must be a cron expression such as `0 2 * * *`"),
    /** cron expression (UTC) of the scheduled train run; the scheduler also trains after every successful ingestion */
    TRAIN_SCHEDULE: z
      .string()
      .default("0 4 * * *")
      .refine((v) => v.trim().split(/\s+/).length >= 5, "must be a cron expression such as `0 4 * * *`"),
    TRAIN_SEED: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** a candidate replaces the champion when its NDCG@10 is at least this share better on the same test split */
    PROMOTION_MARGIN: z.coerce.number().min(0).max(10).default(0.01),
    /** and loses at most this share of the champion's coverage and recall@20 */
    PROMOTION_GUARDRAIL_DROP: z.coerce.number().min(0).max(1).default(0.1),
    /** model artefacts kept on disk (aliased versions always are) */
    /** alerts on the served model: the champion older than this many days… */
    CHAMPION_MAX_AGE_DAYS: z.coerce.number().positive().default(7),
    /** …its NDCG@10 on new listening below its offline value by more than this share… */
    ONLINE_DROP_SHARE: z.coerce.number().min(0).max(1).default(0.5),
    /** …a new version's NDCG@10 below the champion's by more than this share */
    NEW_VERSION_DROP_SHARE: z.coerce.number().min(0).max(1).default(0.2),
    MODEL_ARTEFACTS_KEEP: z.coerce.number().int().min(1).max(10_000).default(20),
    INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    INGEST_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
    INGEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
    /** how long one page is retried (capped exponential backoff with full jitter, honouring Retry-After) */
    INGEST_RETRY_BUDGET_MS: z.coerce.number().int().min(0).max(3_600_000).default(300_000),
    /** unset: no cap on requests per page, the budget alone decides */
    INGEST_MAX_ATTEMPTS: optionalString.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(1).max(10_000).optional()),
    /** tries of a failed ingestion task after the first, each resuming from the pages already landed */
    INGEST_TASK_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    ALERT_WEBHOOK_URL: httpUrl,
    /** "HH:MM" (UTC): a missing successful run by then is an incident */
    ALERT_DEADLINE_UTC: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (UTC), e.g. 06:00").default("06:00"),
    FRESHNESS_WARN_HOURS: z.coerce.number().positive().default(36),
    FRESHNESS_ERROR_HOURS: z.coerce.number().positive().default(72),
    /** share of listen_history items pointing at unknown tracks that fails the run; unset: warn only */
    CHECK_ORPHAN_ERROR_SHARE: optionalString.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().min(0).max(1).optional()),
    /** share of the previous read's keys a read may no longer hold before the vanished_records check warns / fails the run */
    CHECK_VANISHED_WARN_SHARE: z.coerce.number().min(0).max(1).default(0.01),
    CHECK_VANISHED_ERROR_SHARE: z.coerce.number().min(0).max(1).default(0.2),
    METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
    /** cron expression (UTC) of the scheduled experiment analysis (it also runs after every successful ingestion) */
    ANALYZE_SCHEDULE: z
      .string()
      .default("30 5 * * *")
      .refine((v) => v.trim().split(/\s+/).length >= 5, "must be a cron expression such as `30 5 * * *`"),
    /** how often the serving API looks for a new champion or catalogue */
    SERVING_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
    /** refused API-key attempts an address may make per second (burst 10×) before it gets 429 */
    API_AUTH_FAILURES_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(20),
    SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    SIMULATOR_MODE: z.enum(["realistic", "original"]).default("realistic"),
    SIMULATOR_SEED: z.coerce.number().int().default(42),
  })
  .superRefine((env, ctx) => {
    if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_PASSWORD"], message: "set ADMIN_EMAIL and ADMIN_PASSWORD together" });
    }
    // The embedded default keeps a generated secret under DATA_DIR; an external database means a real deployment.
    if (env.NODE_ENV === "production" && env.DATABASE_URL && !env.NEXTAUTH_SECRET) {
      ctx.addIssue({ code: "custom", path: ["NEXTAUTH_SECRET"], message: "is required in production" });
    }
  });

export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`));
}
