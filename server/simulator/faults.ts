import { z } from "zod";

const rate = z.number().min(0).max(1).default(0);

/** What can go wrong with the source; every knob is off by default. */
export const faultsSchema = z.object({
  /** share of data requests answered 500, 502 or 503 */
  errorRate: rate,
  /** added to every data response */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** share of data requests answered 429 with Retry-After */
  rateLimitRate: rate,
  retryAfterSeconds: z.number().int().min(0).max(60).default(1),
  /** share of data requests that hang for hangMs before answering (past the client's timeout) */
  hangRate: rate,
  hangMs: z.number().int().min(0).max(600_000).default(30_000),
  /** share of data requests answered 200 with a body that is not JSON */
  badJsonRate: rate,
  /** this many records of each dataset are served broken (missing field, wrong type, bad timestamp, id out of range) */
  invalidRecords: z.number().int().min(0).default(0),
  /** the first this many records of each dataset are no longer served, as after a restart that lost them */
  withheldRecords: z.number().int().min(0).default(0),
  /** this many records of each dataset are served twice, the second time on a later page */
  duplicateRecords: z.number().int().min(0).default(0),
  /** after this many data requests, new records are inserted at the head of every dataset, so `total` changes mid-run */
  totalChangeAfterRequests: z.number().int().min(1).nullable().default(null),
  totalChangeBy: z.number().int().min(1).default(25),
});

export type Faults = z.infer<typeof faultsSchema>;

export const NO_FAULTS: Faults = faultsSchema.parse({});

export const INVALID_KINDS = ["missing field", "wrong type", "bad timestamp", "id out of range"] as const;

/** Breaks a copy of `record` in the `kind`-th way, so it fails the source contract. */
export function corrupt(record: Record<string, unknown>, kind: number): Record<string, unknown> {
  const broken = { ...record };
  const idField = "id" in broken ? "id" : "user_id";
  switch (INVALID_KINDS[kind % INVALID_KINDS.length]) {
    case "missing field":
      delete broken.created_at;
      break;
    case "wrong type":
      broken[idField] = `#${String(broken[idField])}`;
      break;
    case "bad timestamp":
      broken.updated_at = "2025-13-45T99:99:99";
      break;
    case "id out of range":
      broken[idField] = -Number(broken[idField]);
      break;
  }
  return broken;
}
