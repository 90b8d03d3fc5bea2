import { z } from "zod";
import type { Db } from "../db/client";
import type { TaskContext } from "./types";

/**
 * What a task hands the tasks after it, declared once with its zod schema (as Dagster's outputs):
 * written validated by the task, read typed and validated by the others, from the ledger's
 * `details` column of the task's latest successful try, so a retried run reads what earlier tries made.
 */
export interface TaskOutput<S extends z.ZodObject> {
  task: string;
  schema: S;
}

export const taskOutput = <S extends z.ZodObject>(task: string, schema: S): TaskOutput<S> => ({ task, schema });

export class MissingOutputError extends Error {
  constructor(task: string, runId: number, why: string) {
    super(`the ${task} task of run ${runId} left no usable output: ${why}`);
    this.name = "MissingOutputError";
  }
}

/** Records the task's output (merged into its details beside its other measures). */
export function writeOutput<S extends z.ZodObject>(ctx: TaskContext, output: TaskOutput<S>, value: z.input<S>): void {
  if (ctx.task !== output.task) throw new Error(`task ${ctx.task} cannot write the output of ${output.task}`);
  ctx.detail(output.schema.parse(value));
}

/** The output a task of run `runId` recorded, typed; a clear error when it has none or it does not match. */
export async function readOutput<S extends z.ZodObject>(db: Db, runId: number, output: TaskOutput<S>): Promise<z.output<S>> {
  const row = await db.taskRun.findFirst({ where: { runId, task: output.task, status: "success" }, orderBy: { tryNumber: "desc" }, select: { details: true } });
  if (!row) throw new MissingOutputError(output.task, runId, "it has not succeeded");
  const parsed = output.schema.safeParse(row.details);
  if (!parsed.success) throw new MissingOutputError(output.task, runId, z.prettifyError(parsed.error));
  return parsed.data;
}
