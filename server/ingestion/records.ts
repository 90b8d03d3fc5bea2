import { z } from "zod";

/** The datasets of the MooVitamix API, in the order their dependencies need. */
export const DATASETS = ["tracks", "users", "listen_history"] as const;
export type Dataset = (typeof DATASETS)[number];

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2}):(\d{2}))?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealTime(m: RegExpExecArray): boolean {
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return days !== undefined && day >= 1 && day <= days && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59 && offsetOk;
}

/**
 * The source sends timestamps without a zone, sometimes with microseconds; they are UTC (every
 * database session runs in UTC, see db/client.ts). Kept as sent, for PostgreSQL to parse into
 * timestamptz(6) with its full precision. Checked without building a Date: this runs for every record.
 */
export const sourceTimestamp = z.string().refine((value) => {
  const match = TIMESTAMP.exec(value);
  return match !== null && isRealTime(match);
}, { error: (issue) => `not a timestamp: ${JSON.stringify(issue.input).slice(0, 40)}` });

/** Ids must fit PostgreSQL's integer; the source draws them from 1 to 100000. */
export const sourceId = z.number().int().min(1).max(2_147_483_647);
const isSourceId = (n: number) => Number.isInteger(n) && n >= 1 && n <= 2_147_483_647;

/** Track ids of a history: one pass over the array instead of a schema per element, for the hot path. */
const trackIds = z
  .array(z.number())
  .max(10_000)
  .superRefine((ids, ctx) => {
    for (let i = 0; i < ids.length; i++) {
      if (!isSourceId(ids[i]!)) ctx.addIssue({ code: "custom", path: [i], message: `not a track id: ${ids[i]}` });
    }
  });

/** PostgreSQL text holds any character but NUL. */
const text = z.string().max(10_000).refine((value) => !value.includes("\u0000"), "contains a NUL character, which PostgreSQL cannot store");

export const trackRecord = z.object({
  id: sourceId,
  name: text,
  artist: text,
  songwriters: text,
  duration: z.string().regex(/^\d{1,4}:[0-5]\d$/, 'duration must be "MM:SS"'),
  genres: text,
  album: text,
  created_at: sourceTimestamp,
  updated_at: sourceTimestamp,
});

export const userRecord = z.object({
  id: sourceId,
  first_name: text,
  last_name: text,
  email: text,
  gender: text,
  favorite_genres: text,
  created_at: sourceTimestamp,
  updated_at: sourceTimestamp,
});

export const listenHistoryRecord = z.object({
  user_id: sourceId,
  items: trackIds,
  created_at: sourceTimestamp,
  updated_at: sourceTimestamp,
});

export const recordSchemas = {
  tracks: trackRecord,
  users: userRecord,
  listen_history: listenHistoryRecord,
} as const;

export type TrackRecord = z.output<typeof trackRecord>;
export type UserRecord = z.output<typeof userRecord>;
export type ListenHistoryRecord = z.output<typeof listenHistoryRecord>;
export type SourceRecord<D extends Dataset> = z.input<(typeof recordSchemas)[D]>;
export type LoadedRecord<D extends Dataset> = z.output<(typeof recordSchemas)[D]>;

/** The source's page envelope (fastapi-pagination). */
export const pageEnvelope = z.object({
  items: z.array(z.unknown()),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  size: z.number().int().min(1),
  pages: z.number().int().min(0),
});
export type PageEnvelope = z.infer<typeof pageEnvelope>;

/** The natural key of a record: `id`, or `user_id@created_at` for a listen_history record. */
export function recordKey<D extends Dataset>(dataset: D, record: LoadedRecord<D>): string {
  if (dataset === "listen_history") {
    const history = record as ListenHistoryRecord;
    return `${history.user_id}@${history.created_at}`;
  }
  return String((record as TrackRecord | UserRecord).id);
}

export const knownFields = (dataset: Dataset): string[] => Object.keys(recordSchemas[dataset].shape);
