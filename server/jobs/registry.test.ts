import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../config/env";
import { JOB_HEAP_MB } from "./heap-limits";
import { JOBS } from "./registry";

describe("the job registry", () => {
  it("vercel.json schedules exactly the scheduled jobs, at their default schedules", async () => {
    const vercel = JSON.parse(await readFile(new URL("../../vercel.json", import.meta.url), "utf8")) as { crons: { path: string; schedule: string }[] };
    const env = parseEnv({});
    const scheduled = Object.values(JOBS)
      .filter((job) => job.schedule)
      .map((job) => ({ path: `/api/cron/${job.name}`, schedule: job.schedule!(env) }));
    expect(vercel.crons).toEqual(scheduled);
  });

  it("every job that follows another exists, every capped job exists, and every job's pipeline is its own", () => {
    for (const job of Object.values(JOBS)) for (const next of job.followedBy ?? []) expect(Object.keys(JOBS)).toContain(next);
    for (const capped of Object.keys(JOB_HEAP_MB)) expect(Object.keys(JOBS)).toContain(capped);
    const pipelines = Object.values(JOBS).map((job) => job.pipeline);
    expect(new Set(pipelines).size).toBe(pipelines.length);
  });

  it("an ingestion ends by judging the served model on what it published, as a task of its own", () => {
    const tasks = JOBS.ingest!.definition(parseEnv({})).tasks;
    expect(tasks.at(-1)).toMatchObject({ name: "champion-online", needs: ["publish"] });
  });

  it("a schedule must be a cron expression the scheduler accepts", () => {
    expect(() => parseEnv({ INGEST_SCHEDULE: "61 2 * * *" })).toThrow(/INGEST_SCHEDULE: must be a cron expression such as `0 2 \* \* \*`/);
    expect(() => parseEnv({ TRAIN_SCHEDULE: "every day" })).toThrow(/TRAIN_SCHEDULE/);
    expect(parseEnv({ ANALYZE_SCHEDULE: "15 6 * * 1-5" }).ANALYZE_SCHEDULE).toBe("15 6 * * 1-5");
  });
});
