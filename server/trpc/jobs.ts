import { TRPCError } from "@trpc/server";
import { findJob, jobOfPipeline } from "../jobs/registry";
import type { Job } from "../jobs/types";

/** The job a procedure names, or the caller's 404. */
export function requireJob(name: string): Job {
  const job = findJob(name);
  if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `No job named ${name}.` });
  return job;
}

/** The job whose runs are recorded under `pipeline`, or the caller's 404. */
export function requireJobOfPipeline(pipeline: string): Job {
  const job = jobOfPipeline(pipeline);
  if (!job) throw new TRPCError({ code: "NOT_FOUND", message: `No job runs the ${pipeline} pipeline.` });
  return job;
}
