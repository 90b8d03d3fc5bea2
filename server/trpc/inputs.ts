import { z } from "zod";
import { INT4_MAX } from "../db/limits";

/** Ids are PostgreSQL integers: anything past int4 is refused as a bad request, never sent to the database. */
export const recordId = z.number().int().min(1).max(INT4_MAX);
export const runId = recordId;

/** A record id from a URL path segment: decimal digits only, within 1..INT4_MAX; else null (the page answers 404). */
export const pathId = (segment: string | undefined): number | null =>
  segment && /^\d{1,10}$/.test(segment) && Number(segment) >= 1 && Number(segment) <= INT4_MAX ? Number(segment) : null;

export const MAX_PAGE = 100_000;
export const paging = {
  page: z.number().int().min(1).max(MAX_PAGE).default(1),
  pageSize: z.number().int().min(1).max(200).default(25),
};

/** PostgreSQL text cannot hold NUL. */
export const hasNul = (value: string) => value.includes("\u0000");

/** Free text from a person: trimmed, bounded, no NUL. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((v) => !hasNul(v), "must not contain a NUL character");

/** True when any string in `value` (keys included), however deep, holds a NUL. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return hasNul(value);
  if (depth > 20 || typeof value !== "object" || value === null) return false;
  for (const [key, inner] of Object.entries(value)) if (hasNul(key) || containsNul(inner, depth + 1)) return true;
  return false;
}
