import { Cron } from "croner";
import { z } from "zod";
import { parseTrustProxy } from "../auth/client-ip";

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
  (v) => v === undefined || (/^postgres(ql)?:\/\/[^/\s]+\/?/.test(v) && URL.canParse(v)),
  "must be a postgresql:// URL, e.g. postgresql://user:pass@host:5432/encore",
);

const httpUrl = optionalString.refine((v) => v === undefined || (/^https?:\/\//.test(v) && URL.canParse(v)), "must be an http(s):// URL");

const s3Url = optionalString.refine(
  (v) => v === undefined || (/^s3:\/\/[a-z0-9][a-z0-9.-]*(\/|$)/.test(v) && URL.canParse(v)),
  "must be s3://bucket or s3://bucket/prefix",
);

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** A schedule: a cron expression (UTC) that croner, the scheduler's engine, accepts. */
const cronExpression = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => {
      try {
        new Cron(v, { paused: true, timezone: "UTC" }).stop();
        return true;
      } catch {
        return false;
      }
    }, `must be a cron expression such as \`${fallback}\``);

/** Where a variable is described in docs/configuration.md and .env.example. */
export const VARIABLE_GROUPS = [
  "Database and files",
  "Console and sign-in",
  "Source",
  "Scheduling",
  "Ingestion",
  "Checks and alerts",
  "Models",
  "Serving",
] as const;

/**
 * A variable's documentation, kept on its schema with `.meta()`: `npm run docs:config`
 * (server/cli/docs-config.ts) writes docs/configuration.md and .env.example from it.
 */
export type VariableDoc = {
  group: (typeof VARIABLE_GROUPS)[number];
  description: string;
  /** the default in words, when the schema has none of its own (it is computed at start) */
  shownDefault?: string;
  /** the value .env.example shows; else the default */
  example?: string;
  /** what the value must be, when the schema's type does not say it (a refinement checks it) */
  accepts?: string;
};
const doc = (d: VariableDoc) => d;

export const envSchema = z
  .object({
    NODE_ENV: z
      .enum(["development", "production", "test"])
      .default("development")
      .meta(
        doc({
          group: "Console and sign-in",
          description:
            "Set by the tools: `npm start` runs production unless NODE_ENV is set, the tests set test. In production with DATABASE_URL, NEXTAUTH_SECRET is required.",
        }),
      ),
    DATABASE_URL: postgresUrl.meta(
      doc({
        group: "Database and files",
        description: "PostgreSQL to use. Unset: an embedded PostgreSQL 18 is started with its data in `DATA_DIR/pg`, kept across restarts.",
        shownDefault: "embedded PostgreSQL",
        example: "postgresql://encore:change-me@db.internal:5432/encore",
        accepts: "`postgresql://` URL",
      }),
    ),
    MOOVITAMIX_URL: httpUrl.meta(
      doc({
        group: "Source",
        description: "Base URL of the MooVitamix API. `user:password@` in it are sent as HTTP Basic and never shown. Unset: the built-in simulator.",
        shownDefault: "built-in simulator",
        example: "https://moovitamix.example.com",
        accepts: "`http(s)://` URL",
      }),
    ),
    MOOVITAMIX_TOKEN: optionalString.meta(
      doc({
        group: "Source",
        description: "Sent to the source as `Authorization: Bearer <token>` instead of Basic.",
      }),
    ),
    NEXTAUTH_SECRET: optionalString
      .refine((v) => v === undefined || v.length >= 32, "must be at least 32 characters (e.g. `openssl rand -base64 32`)")
      .meta(
        doc({
          group: "Console and sign-in",
          description: "Signs session cookies. Required in production with DATABASE_URL (`openssl rand -base64 32`).",
          shownDefault: "generated once into `DATA_DIR/secrets.json`",
          accepts: "32+ characters",
        }),
      ),
    NEXTAUTH_URL: httpUrl.meta(
      doc({
        group: "Console and sign-in",
        description: "Public URL of the console, for sign-in redirects; https turns on HSTS.",
        shownDefault: "`http://localhost:$PORT`",
        example: "https://encore.example.com",
        accepts: "`http(s)://` URL",
      }),
    ),
    CRON_SECRET: optionalString
      .refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters")
      .meta(
        doc({
          group: "Scheduling",
          description:
            "Bearer token an outside scheduler sends to `/api/cron/<job>`. With DATABASE_URL and NEXTAUTH_SECRET both set nothing is generated, and unset it refuses every cron request.",
          shownDefault: "generated into `DATA_DIR/secrets.json`",
          accepts: "16+ characters",
        }),
      ),
    ADMIN_EMAIL: optionalString.pipe(z.email("must be an e-mail address").optional()).meta(
      doc({
        group: "Console and sign-in",
        description: "First admin, created only when there is no account yet; set together with ADMIN_PASSWORD.",
        shownDefault: "`admin@encore.local` with a generated password, printed once",
        example: "you@example.com",
        accepts: "e-mail address",
      }),
    ),
    ADMIN_PASSWORD: optionalString
      .refine((v) => v === undefined || v.length >= 12, "must be at least 12 characters")
      .meta(
        doc({
          group: "Console and sign-in",
          description: "The first admin's password (with ADMIN_EMAIL).",
          accepts: "12+ characters",
        }),
      ),
    PORT: port(3000).meta(doc({ group: "Console and sign-in", description: "Port of the console (REST API, tRPC and pages)." })),
    HOSTNAME: optionalString
      .refine((v) => v === undefined || /^[A-Za-z0-9.:[\]%-]{1,253}$/.test(v), "must be a host name or an IP address")
      .meta(
        doc({
          group: "Console and sign-in",
          description: "Address the console listens on, e.g. `127.0.0.1` behind a local proxy.",
          shownDefault: "every interface",
          example: "127.0.0.1",
          accepts: "host name or IP address",
        }),
      ),
    TRUST_PROXY: optionalString
      .superRefine((v, ctx) => {
        try {
          parseTrustProxy(v);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `must be ${(error as Error).message}` });
        }
      })
      .meta(
        doc({
          group: "Console and sign-in",
          description:
            "Proxies in front that may name the client in `X-Forwarded-For`: a hop count (`1`: the nearest proxy) or addresses and CIDR blocks. Unset: the client is the socket's peer and `X-Forwarded-For` is ignored. Sign-in throttling and the audit log use this address.",
          shownDefault: "none",
          example: "10.0.0.0/8, 127.0.0.1",
          accepts: "hop count, or addresses/CIDR blocks",
        }),
      ),
    DATA_DIR: z
      .string()
      .default(".data")
      .meta(
        doc({
          group: "Database and files",
          description:
            "Where the embedded database (`pg/`), generated secrets (`secrets.json`) and by default the data lake live; private to Encore's user (folders 0700, files 0600).",
        }),
      ),
    EMBEDDED_PG_PORT: port(54329).meta(doc({ group: "Database and files", description: "Port of the embedded PostgreSQL (it listens on 127.0.0.1 only)." })),
    DATA_LAKE_DIR: optionalString.meta(
      doc({
        group: "Database and files",
        description:
          "Where raw pages land (`<dataset>/<YYYY-MM-DD>/run-<id>/try<n>-pass<p>.jsonl.gz`), and training snapshots (`snapshots/`) and model artefacts (`models/`).",
        shownDefault: "`DATA_DIR/lake`",
        example: "/var/lib/encore/lake",
      }),
    ),
    STORAGE_URL: s3Url.meta(
      doc({
        group: "Database and files",
        description:
          "`s3://bucket/prefix`: raw pages, snapshots and model artefacts go to this S3-compatible store instead of DATA_LAKE_DIR (same layout under the prefix), so every machine reads them. Configured as the AWS SDK is: `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and `AWS_ENDPOINT_URL_S3` for a store that is not AWS (addressed by path then). See docs/storage.md.",
        shownDefault: "the DATA_LAKE_DIR folder",
        example: "s3://encore-data/production",
        accepts: "s3:// URL",
      }),
    ),
    LAKE_KEEP_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .meta(
        doc({
          group: "Database and files",
          description:
            "Days of raw pages and training snapshots kept; older ones are deleted by the ingest run's `lake-retention` and the train run's `retention` tasks, except the pages a kept run's replay or a kept version's lineage needs and the snapshots of versions whose artefacts are kept. See docs/operations.md.",
        }),
      ),
    FEEDBACK_KEEP_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(36500)
      .default(400)
      .meta(
        doc({
          group: "Database and files",
          description:
            "Days of feedback events kept (they are partitioned by month); the analyze run's `feedback-partitions` task drops the months wholly older, never one an experiment not yet decided may read. Dislikes are kept apart and never expire. See docs/operations.md.",
        }),
      ),
    SCHEDULER: z
      .enum(["on", "off"])
      .default("on")
      .meta(
        doc({
          group: "Scheduling",
          description:
            "The built-in scheduler, in `npm start` and in each `npm run worker`: one process leads and fires each slot, the others stand by; `off`: jobs start only from cron routes, the console or the CLI.",
        }),
      ),
    JOB_QUEUE: z
      .enum(["on", "off"])
      .default("off")
      .meta(
        doc({
          group: "Scheduling",
          description:
            "`on`: the console, cron routes and scheduler queue each run in PostgreSQL (pg-boss) for `npm run worker` processes on any machine, instead of running it in the process that started it. `npm run web` turns it on.",
        }),
      ),
    WEB_HEAP_MB: z.coerce
      .number()
      .int()
      .min(256)
      .max(65_536)
      .default(1024)
      .meta(
        doc({
          group: "Scheduling",
          description:
            "`npm start`'s web processes cap their JavaScript heap (V8's old space) at this many MB. Uncapped, V8 let one serving 500,000 tracks grow to 2.4 GB, 1.3 GB of it heap mostly awaiting collection; capped at 1,024 it peaked at 1.7 GB (heap 330–520 MB, the models' arrays, outside the cap, 730–780 MB). Raise it for a catalogue whose heap nears it. `npm run web` takes NODE_OPTIONS=--max-old-space-size=N instead.",
        }),
      ),
    WEB_PROCESSES: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .meta(
        doc({
          group: "Scheduling",
          description:
            "`npm start` and `npm run web` serve the console and APIs from this many processes on one port (Node's cluster module). Above 1, `npm start` runs no job in them: runs are queued (JOB_QUEUE=on) for its workers, one at least when WORKERS is unset.",
        }),
      ),
    WORKERS: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .meta(
        doc({
          group: "Scheduling",
          description:
            "`npm start` starts this many `npm run worker` processes beside the web server, and its runs go through the queue (JOB_QUEUE=on) to them; 0: runs go on in the web server and job processes as they always did.",
        }),
      ),
    RUN_DEAD_AFTER_SECONDS: z.coerce
      .number()
      .int()
      .min(3)
      .max(3600)
      .default(30)
      .meta(
        doc({
          group: "Scheduling",
          description:
            "A run without a heartbeat for this long whose lock is free belongs to a dead process: it is recorded failed (its host in the error) and, with JOB_QUEUE=on, queued again for another worker. Runs beat every third of it, sweepers look every half, so a killed worker's run is retaken within about 1.5× of it.",
        }),
      ),
    INGEST_SCHEDULE: cronExpression("0 2 * * *").meta(
      doc({ group: "Scheduling", description: "Cron expression (UTC) of the daily ingestion.", accepts: "cron expression" }),
    ),
    TRAIN_SCHEDULE: cronExpression("0 4 * * *").meta(
      doc({
        group: "Scheduling",
        description: "Cron expression (UTC) of the scheduled train run; the scheduler also trains after every successful ingestion.",
        accepts: "cron expression",
      }),
    ),
    TRAIN_SEED: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42)
      .meta(
        doc({
          group: "Models",
          description: "Seed of the splits and of ALS's start: the same snapshot and seed give the same models.",
        }),
      ),
    TRAIN_LISTENS_PER_USER: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(5000)
      .meta(
        doc({
          group: "Models",
          description:
            "Each listener's most recent listens a train run reads (older ones are left out, and counted on the snapshot): training cost follows activity rather than all of history. Every listener is kept, however quiet lately.",
        }),
      ),
    TRAIN_TUNING_LISTENERS: z.coerce
      .number()
      .int()
      .min(100)
      .max(100_000_000)
      .default(50_000)
      .meta(
        doc({
          group: "Models",
          description:
            "Listeners whose listens the tuning fits (every candidate of every family, on the validation split) learn from, at most: past it, a sample drawn with the seed. The chosen parameters are then fitted on every listener, so a train run's cost grows with listeners at the rate of the chosen parameters' fits alone.",
        }),
      ),
    SCORE_RECENT_DAYS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(30)
      .meta(
        doc({
          group: "Models",
          description:
            "A train run stores batch recommendations only for listeners whose latest listen is at most this many days before the snapshot's latest (0: every listener); the others are answered from scratch when they ask, so batch scoring grows with activity rather than with every listener ever seen.",
        }),
      ),
    SCORE_SHARD_USERS: z.coerce
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(10_000)
      .meta(
        doc({
          group: "Models",
          description:
            "With JOB_QUEUE=on, a train run's batch scores are split in shards of this many listeners, which every worker takes from the queue (the run's own worker too); a shard whose worker died is taken again after 10 minutes.",
        }),
      ),
    PROMOTION_MARGIN: z.coerce
      .number()
      .min(0)
      .max(10)
      .default(0.01)
      .meta(
        doc({
          group: "Models",
          description: "A candidate replaces the champion when its NDCG@10 is at least this share better on the same test split…",
        }),
      ),
    PROMOTION_GUARDRAIL_DROP: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .meta(
        doc({
          group: "Models",
          description: "…and it loses at most this share of the champion's coverage and recall@20.",
        }),
      ),
    CHAMPION_MAX_AGE_DAYS: z.coerce
      .number()
      .positive()
      .default(7)
      .meta(
        doc({
          group: "Models",
          description: "Alert when the champion is older than this many days.",
        }),
      ),
    ONLINE_DROP_SHARE: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .meta(
        doc({
          group: "Models",
          description: "Alert when the champion's NDCG@10 on new listening is below its offline value by more than this share.",
        }),
      ),
    NEW_VERSION_DROP_SHARE: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .meta(
        doc({
          group: "Models",
          description: "Alert when the latest run's best version is below the champion's NDCG@10 by more than this share.",
        }),
      ),
    MODEL_ARTEFACTS_KEEP: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(20)
      .meta(
        doc({
          group: "Models",
          description: "Model artefacts kept on disk; those of aliased versions and of undecided experiments always are, and pruned versions keep their rows.",
        }),
      ),
    INGEST_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .meta(doc({ group: "Ingestion", description: "Pages fetched at once per dataset." })),
    INGEST_PAGE_SIZE: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(100)
      .meta(doc({ group: "Ingestion", description: "Page size asked of the source." })),
    INGEST_BATCH_SIZE: z.coerce
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(50_000)
      .meta(
        doc({
          group: "Ingestion",
          description:
            "Records loaded per transaction (COPY into staging, one merge). Larger batches cost PostgreSQL less per record (a batch appends one change of listens per track it names, folded once per task); a batch streams into the database as it is read, so its size costs no memory.",
        }),
      ),
    INGEST_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(300_000)
      .default(10_000)
      .meta(doc({ group: "Ingestion", description: "Timeout of one request, body included, in ms." })),
    INGEST_RETRY_BUDGET_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(300_000)
      .meta(
        doc({
          group: "Ingestion",
          description: "How long one page is retried from its first request, in ms: capped exponential backoff with full jitter, honouring `Retry-After`.",
        }),
      ),
    INGEST_MAX_ATTEMPTS: optionalString
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().int().min(1).max(10_000).optional())
      .meta(
        doc({
          group: "Ingestion",
          description: "A cap on requests per page within the retry budget.",
          shownDefault: "no cap: the budget alone decides",
          accepts: "integer 1–10000",
        }),
      ),
    INGEST_TASK_RETRIES: z.coerce
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .meta(
        doc({
          group: "Ingestion",
          description:
            "Tries of a failed `tracks`, `users` or `listen_history` task after the first, in the same run (30 s apart, doubling); each resumes from the pages earlier tries landed.",
        }),
      ),
    ALERT_WEBHOOK_URL: httpUrl.meta(
      doc({
        group: "Checks and alerts",
        description: "Slack-compatible incoming webhook for alerts.",
        shownDefault: "alerts are stored and shown, not sent",
        example: "https://hooks.slack.com/services/…",
        accepts: "`http(s)://` URL",
      }),
    ),
    ALERT_DEADLINE_UTC: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (UTC), e.g. 06:00")
      .default("06:00")
      .meta(
        doc({
          group: "Checks and alerts",
          description: "A day without a successful ingestion by this time (UTC) is an incident (`deadline_missed`).",
          accepts: "HH:MM",
        }),
      ),
    FRESHNESS_WARN_HOURS: z.coerce
      .number()
      .positive()
      .default(36)
      .meta(
        doc({
          group: "Checks and alerts",
          description: "Freshness check: WARN when the newest `updated_at` of a dataset is older than this many hours.",
        }),
      ),
    FRESHNESS_ERROR_HOURS: z.coerce
      .number()
      .positive()
      .default(72)
      .meta(
        doc({
          group: "Checks and alerts",
          description: "Freshness check: ERROR (the run fails) past this many hours.",
        }),
      ),
    CHECK_ORPHAN_ERROR_SHARE: optionalString
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().min(0).max(1).optional())
      .meta(
        doc({
          group: "Checks and alerts",
          description: "Share of listen_history items naming unknown tracks that fails the run (`orphan_items`).",
          shownDefault: "never an ERROR, only WARN over 5%",
          example: "0.5",
          accepts: "number 0–1",
        }),
      ),
    CHECK_VANISHED_WARN_SHARE: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .meta(
        doc({
          group: "Checks and alerts",
          description: "`vanished_records`: WARN when a full read no longer holds more than this share of the previous reads' records…",
        }),
      ),
    CHECK_VANISHED_ERROR_SHARE: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .meta(
        doc({
          group: "Checks and alerts",
          description: "…and ERROR (the run fails) above this share, e.g. a source restarted with other data.",
        }),
      ),
    METRICS_TOKEN: optionalString
      .refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters")
      .meta(
        doc({
          group: "Checks and alerts",
          description: "Bearer token `/api/metrics` asks for.",
          shownDefault: "the endpoint is open (keep it on a private network then)",
          accepts: "16+ characters",
        }),
      ),
    ANALYZE_SCHEDULE: cronExpression("30 5 * * *").meta(
      doc({
        group: "Scheduling",
        description: "Cron expression (UTC) of the scheduled experiment analysis; the scheduler also analyses after every successful ingestion.",
        accepts: "cron expression",
      }),
    ),
    SCORING: z
      .enum(["candidates", "exhaustive"])
      .default("candidates")
      .meta(
        doc({
          group: "Serving",
          description:
            "How batch scoring and answers computed at request time rank a listener's tracks: `candidates` scores only a few hundred retrieved per listener (item-kNN neighbours of their listening, the nearest tracks to their ALS vector, EASE's best, popular in their favourite genres); `exhaustive` scores the whole catalogue, as before. See docs/serving.md.",
        }),
      ),
    RANKING_THREADS: z.coerce
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .meta(
        doc({
          group: "Serving",
          description:
            "Worker threads per web process that rank answers not taken from a batch row (a genre filter, a listener without a row), off the event loop. Each holds its own copy of ALS's graph and catalogue, and ALS's factors of each genre's tracks gathered in order (about 290 MB at 500,000 tracks); the models' arrays are shared. On 2 cores one is faster than two (docs/benchmarks.md); more help only with cores to spare.",
        }),
      ),
    SERVING_REFRESH_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(2000)
      .meta(
        doc({
          group: "Serving",
          description: "How often (ms) each server process looks for a new champion (promotion, rollback) or catalogue (after an ingestion).",
        }),
      ),
    API_AUTH_FAILURES_PER_SECOND: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(20)
      .meta(
        doc({
          group: "Serving",
          description: "Requests with a missing or unknown API key one address may make per second (burst 10×) before 429; valid keys from it still pass.",
        }),
      ),
    API_KEY_CACHE_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(300)
      .default(10)
      .meta(
        doc({
          group: "Serving",
          description:
            "How long a web process may keep a valid API key in memory instead of looking it up for each request. It keeps keys only while it hears every change to them (LISTEN on a connection of its own, told by a trigger at commit), so a revocation holds within milliseconds; this bounds it should that connection die unnoticed. 0: look the key up on every request (a pooler in transaction mode, where LISTEN is not heard).",
        }),
      ),
    REDIS_URL: optionalString
      .refine((v) => v === undefined || (/^rediss?:\/\//.test(v) && URL.canParse(v)), "must be a redis:// or rediss:// URL")
      .meta(
        doc({
          group: "Serving",
          description:
            "Redis that every web process shares the API's rate limits through (each key's and the unknown-key limit per address), so N processes allow a key its rate once, not N times. Unreachable: each process limits on its own until it is back, and says so once in its log.",
          shownDefault: "limits in each process's memory (right for one process)",
          example: "redis://:change-me@redis.internal:6379",
          accepts: "`redis://` or `rediss://` URL",
        }),
      ),
    SIMULATOR_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .meta(doc({ group: "Source", description: "Port of the built-in simulator; 0: any free port." })),
    SIMULATOR_MODE: z
      .enum(["realistic", "original"])
      .default("realistic")
      .meta(
        doc({
          group: "Source",
          description: "The built-in simulator: `realistic` (listeners with tastes, power-law popularity) or `original` (as the original server).",
        }),
      ),
    SIMULATOR_SEED: z.coerce
      .number()
      .int()
      .default(42)
      .meta(doc({ group: "Source", description: "Seed of the built-in simulator's data." })),
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

/** Variables read where they are used, not checked at start; documented with the rest. */
export const OTHER_VARIABLES: {
  name: string;
  use: "deployments" | "tests only" | "benches only";
  description: string;
  shownDefault: string;
  example: string;
}[] = [
  {
    name: "ENCORE_COMMIT",
    use: "deployments",
    description: "The code version recorded on each model version, for deployments without a git checkout.",
    shownDefault: "the checkout's `git rev-parse HEAD`, else `unknown`",
    example: "",
  },
  {
    name: "TEST_DATABASE_URL",
    use: "tests only",
    description:
      "Run the integration tests against this server instead of an embedded one; its user must be allowed to CREATE DATABASE (each test file makes its own).",
    shownDefault: "an embedded PostgreSQL per test run",
    example: "postgresql://postgres:postgres@localhost:5432/postgres",
  },
  {
    name: "PLAYWRIGHT_CHROMIUM_EXECUTABLE",
    use: "tests only",
    description: "The browser of the end-to-end suite.",
    shownDefault: "`/usr/bin/chromium` when present",
    example: "/usr/bin/chromium",
  },
  {
    name: "E2E_PORT",
    use: "tests only",
    description:
      "Port of the app under end-to-end test; its embedded PostgreSQL and simulator take the next two ports, the lifecycle tests' apps start from +10.",
    shownDefault: "3100",
    example: "3100",
  },
  {
    name: "E2E_DATA_DIR",
    use: "tests only",
    description: "DATA_DIR of the app under end-to-end test, removed after the suite.",
    shownDefault: "a fresh temporary folder",
    example: "",
  },
  {
    name: "BENCH_DATABASE_URL",
    use: "benches only",
    description: "`npm run bench:ingest` against this server (a user allowed to CREATE DATABASE) instead of a fresh embedded one.",
    shownDefault: "a fresh embedded PostgreSQL",
    example: "",
  },
];

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`));
}

let cached: Env | undefined;

/** The validated environment of this process, read once. */
export function env(): Env {
  return (cached ??= parseEnv());
}
