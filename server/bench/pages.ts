import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../db/embedded";
import { migrate } from "../db/migrations";
import { freePort } from "../runtime/ports";

// `npm run bench:pages`: the console's Overview and Runs pages over 1,000 seeded runs, timed over HTTP on loopback.
const RUNS = 1000;
const SAMPLES = 30;
const ADMIN = { email: "bench@encore.local", password: randomBytes(12).toString("base64url") };

async function seed(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    INSERT INTO pipeline_runs (pipeline, trigger, status, created_at, started_at, finished_at, error, cpu_ms, peak_rss_bytes)
    SELECT 'ingest', 'cron', CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'success' END::run_status,
           now() - make_interval(hours => g * 2), now() - make_interval(hours => g * 2),
           now() - make_interval(hours => g * 2) + make_interval(secs => 20 + g % 17),
           CASE WHEN g % 10 = 0 THEN 'tracks: GET /tracks failed after 6 attempts: HTTP 503' END, 15000, 250000000
      FROM generate_series(1, ${RUNS}) g`);
  await client.query(`
    INSERT INTO task_runs (run_id, task, try_number, status, started_at, finished_at, pages_done, pages_total, rows_fetched, rows_inserted, rows_updated, rows_unchanged, logs)
    SELECT r.id, t.task, 1,
           CASE WHEN r.status = 'failed' AND t.task = 'tracks' THEN 'failed' WHEN r.status = 'failed' AND t.ord > 2 THEN 'skipped' ELSE 'success' END::task_status,
           r.started_at, r.finished_at, 100, 100, t.rows, t.rows / 100, t.rows / 50, t.rows - t.rows / 100 - t.rows / 50,
           ARRAY['pass 1: records in pages', 'succeeded']
      FROM pipeline_runs r
      CROSS JOIN (VALUES (1, 'tracks', 50000), (2, 'users', 100000), (3, 'listen_history', 100000), (4, 'reconcile', 0), (5, 'checks', 0)) AS t(ord, task, rows)`);
  await client.query(`
    INSERT INTO check_results (run_id, "check", dataset, level, measured, message)
    SELECT r.id, c.name, d.dataset, 'ok', '{}', 'fine'
      FROM pipeline_runs r
      CROSS JOIN (VALUES ('row_count'), ('required_fields'), ('duplicate_keys'), ('freshness'), ('schema_drift')) AS c(name)
      CROSS JOIN (VALUES ('tracks'), ('users'), ('listen_history')) AS d(dataset)
     WHERE r.status = 'success'`);
  await client.query(`INSERT INTO tracks SELECT g, 'song ' || g, 'artist', 'writer', '03:00', 'Pop', 'album', now(), now() FROM generate_series(1, 50000) g`);
  await client.query(`INSERT INTO users SELECT g, 'Ann', 'Lee', 'a@b.c', 'Female', 'Pop', now(), now() FROM generate_series(1, 100000) g`);
  await client.query(
    `INSERT INTO listen_history (user_id, items, created_at, updated_at) SELECT g, ARRAY[g % 50000 + 1, (g * 7) % 50000 + 1], now(), now() FROM generate_series(1, 100000) g`,
  );
  await client.query("ANALYZE");
  await client.end();
}

async function signIn(base: string): Promise<string> {
  const csrfResponse = await fetch(`${base}/api/auth/csrf`);
  const cookies = csrfResponse.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies },
    body: new URLSearchParams({ csrfToken, email: ADMIN.email, password: ADMIN.password, json: "true" }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in failed: HTTP ${response.status}`);
  return session.split(";")[0]!;
}

async function time(url: string, cookie: string) {
  const durations: number[] = [];
  for (let i = 0; i < SAMPLES + 3; i++) {
    const t0 = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}: ${body.slice(0, 200)}`);
    if (i >= 3) durations.push(performance.now() - t0);
  }
  durations.sort((a, b) => a - b);
  const at = (q: number) => Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))]!);
  return { page: url.replace(/^http:\/\/[^/]+/, ""), "p50 (ms)": at(0.5), "p95 (ms)": at(0.95), "max (ms)": Math.round(durations.at(-1)!) };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "encore-bench-pages-"));
  await chmod(dir, 0o755);
  const database = await startEmbeddedPostgres({ dir: path.join(dir, "pg"), port: await freePort(), password: "bench-pages", database: "encore" });
  const port = await freePort();
  const app = spawn(process.execPath, ["--import", "tsx", "server/cli/start.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      PORT: String(port),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SCHEDULER: "off",
      DATA_DIR: path.join(dir, "data"),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await migrate(database.url);
    console.error(`seeding ${RUNS} runs…`);
    await seed(database.url);
    const base = `http://127.0.0.1:${port}`;
    await new Promise<void>((resolve, reject) => {
      app.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("Encore is ready") && resolve());
      app.once("exit", (code) => reject(new Error(`the app exited (${code})`)));
    });
    const cookie = await signIn(base);
    const results = [];
    for (const page of ["/", "/runs", "/runs?status=failed", "/runs/500"]) results.push(await time(`${base}${page}`, cookie));
    console.table(results);
    console.log(`${RUNS} runs seeded; ${SAMPLES} requests per page after 3 warm-up requests; full response time on loopback, one request at a time.`);
  } finally {
    app.kill("SIGTERM");
    await new Promise((r) => app.once("exit", r));
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
