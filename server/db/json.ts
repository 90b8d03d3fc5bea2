import { z } from "zod";
import type { Prisma } from "./generated/client";

/** A JSON column's value is not of its schema's shape (a row written before the shape changed, or by hand). */
export class JsonShapeError extends Error {
  constructor(column: string, why: string) {
    super(`${column} holds a value of another shape than it is read with: ${why}`);
    this.name = "JsonShapeError";
  }
}

/** A JSON column read with the zod schema its writer declared, instead of a cast. */
export function readJson<S extends z.ZodType>(column: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new JsonShapeError(column, z.prettifyError(parsed.error));
  return parsed.data;
}

/** A value for a JSON column, checked by its schema; Prisma's JSON input type does not admit optional keys, which JSON drops anyway. */
export function writeJson<S extends z.ZodType>(schema: S, value: z.input<S>): Prisma.InputJsonValue {
  return schema.parse(value) as Prisma.InputJsonValue;
}
