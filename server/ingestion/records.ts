import { z } from "zod";

/** The datasets of the MooVitamix API, in the order their dependencies need. */
export const DATASETS = ["tracks", "users", "listen_history"] as const;
export type Dataset = (typeof DATASETS)[number];

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const daysIn = (year: number, month: number) => (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS_IN_MONTH[month - 1]!);

/** The number the ASCII digits of value[start, end) write, or -1 when one of them is not a digit. */
function digits(value: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * The source sends timestamps without a zone, sometimes with microseconds; they are UTC (every
 * database session runs in UTC, see db/client.ts). Kept as sent, for PostgreSQL to parse into
 * timestamptz(6) with its full precision. Accepted: YYYY-MM-DDTHH:MM:SS, then up to 6 fraction
 * digits, then nothing, Z or ±HH:MM; the date must exist. Read character by character (this runs
 * twice for every record; a regular expression with captures cost three times as much).
 */
export function isSourceTimestamp(value: string): boolean {
  const length = value.length;
  if (length < 19 || value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":" || value[16] !== ":") return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  if (year < 0 || month < 1 || month > 12) return false;
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  if (day < 1 || day > daysIn(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = 19;
  if (value[i] === ".") {
    const start = ++i;
    while (i < length && digits(value, i, i + 1) >= 0) i++;
    if (i === start || i - start > 6) return false;
  }
  if (i === length) return true;
  if (value[i] === "Z") return i + 1 === length;
  if ((value[i] !== "+" && value[i] !== "-") || length !== i + 6 || value[i + 3] !== ":") return false;
  const offsetHours = digits(value, i + 1, i + 3);
  const offsetMinutes = digits(value, i + 4, i + 6);
  return offsetHours >= 0 && offsetHours <= 23 && offsetMinutes >= 0 && offsetMinutes <= 59;
}

/** Ids must fit PostgreSQL's integer; the source draws them from 1 to 100000. */
const isSourceId = (n: number) => Number.isInteger(n) && n >= 1 && n <= 2_147_483_647;

const MAX_TEXT = 10_000;
const MAX_ITEMS = 10_000;
const DURATION = /^\d{1,4}:[0-5]\d$/;

/** A rule on one field's value: the reason it is wrong, or undefined. */
type Rule<T> = (value: T) => string | undefined;

const id: Rule<number> = (n) => (isSourceId(n) ? undefined : `${n} is not an id from 1 to 2147483647`);
// What PostgreSQL text cannot hold: NUL, and half a surrogate pair (not Unicode; it would be stored as U+FFFD).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this finds
const UNSTORABLE = /\u0000|\p{Cs}/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this finds
const UNSTORABLE_ALL = /\u0000|\p{Cs}/gu;

/** `value` with what PostgreSQL text cannot hold written as visible `\uXXXX` escapes (for reasons, keys and field names). */
export const escapeUnstorable = (value: string): string =>
  UNSTORABLE.test(value) ? value.replace(UNSTORABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : value;

const text: Rule<string> = (value) => {
  if (value.length > MAX_TEXT) return `longer than ${MAX_TEXT} characters`;
  const found = UNSTORABLE.exec(value)?.[0];
  if (found === undefined) return undefined;
  return found === "\u0000" ? "contains a NUL character, which PostgreSQL cannot store" : "contains an unpaired surrogate, which is not Unicode text";
};
const timestamp: Rule<string> = (value) => (isSourceTimestamp(value) ? undefined : `not a timestamp: ${JSON.stringify(value).slice(0, 40)}`);
const duration: Rule<string> = (value) => (DURATION.test(value) ? undefined : 'duration must be "MM:SS"');

/**
 * zod checks each record's shape and types; the rules on values run in one refinement per record
 * rather than as a schema per field, which allocated several objects per field and made validation
 * the costliest step of a load. Every wrong field is still named, with its path.
 */
function withRules<Shape extends z.ZodRawShape>(shape: Shape, rules: { [K in keyof z.output<z.ZodObject<Shape>>]?: Rule<z.output<z.ZodObject<Shape>>[K]> }) {
  const checked = Object.entries(rules) as [string, Rule<unknown>][];
  return z.object(shape).superRefine((record, ctx) => {
    for (const [field, rule] of checked) {
      const reason = rule((record as Record<string, unknown>)[field]);
      if (reason) ctx.addIssue({ code: "custom", path: [field], message: reason });
    }
  });
}

export const trackRecord = withRules(
  {
    id: z.number(),
    name: z.string(),
    artist: z.string(),
    songwriters: z.string(),
    duration: z.string(),
    genres: z.string(),
    album: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  },
  { id, name: text, artist: text, songwriters: text, duration, genres: text, album: text, created_at: timestamp, updated_at: timestamp },
);

export const userRecord = withRules(
  {
    id: z.number(),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string(),
    gender: z.string(),
    favorite_genres: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  },
  { id, first_name: text, last_name: text, email: text, gender: text, favorite_genres: text, created_at: timestamp, updated_at: timestamp },
);

/** A history's track ids: each must be an id; the path names the first bad one. */
const trackIds: Rule<number[]> = (ids) => {
  if (ids.length > MAX_ITEMS) return `more than ${MAX_ITEMS} items`;
  const bad = ids.findIndex((n) => !isSourceId(n));
  return bad === -1 ? undefined : `item ${bad}: ${ids[bad]} is not a track id`;
};

export const listenHistoryRecord = withRules(
  { user_id: z.number(), items: z.array(z.number()), created_at: z.string(), updated_at: z.string() },
  { user_id: id, items: trackIds, created_at: timestamp, updated_at: timestamp },
);

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
  // Records are validated one by one later; an array check here spares a copy of every page.
  items: z.custom<unknown[]>((value) => Array.isArray(value), "items must be an array"),
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

type Fields = Record<string, unknown>;

const isText = (value: unknown): value is string => typeof value === "string" && text(value) === undefined;
const isId = (value: unknown): value is number => typeof value === "number" && isSourceId(value);
const isTimestamp = (value: unknown): value is string => typeof value === "string" && isSourceTimestamp(value);

/**
 * The same contract as `recordSchemas`, as one plain function per dataset that only answers whether
 * a record passes it: nearly every record does, and this costs a fraction of zod's parse (which
 * allocates per field). A record it refuses goes through zod, whose reasons name every wrong field.
 */
export const passesContract: Record<Dataset, (r: Fields) => boolean> = {
  tracks: (r) =>
    isId(r.id) &&
    isText(r.name) &&
    isText(r.artist) &&
    isText(r.songwriters) &&
    typeof r.duration === "string" &&
    DURATION.test(r.duration) &&
    isText(r.genres) &&
    isText(r.album) &&
    isTimestamp(r.created_at) &&
    isTimestamp(r.updated_at),
  users: (r) =>
    isId(r.id) &&
    isText(r.first_name) &&
    isText(r.last_name) &&
    isText(r.email) &&
    isText(r.gender) &&
    isText(r.favorite_genres) &&
    isTimestamp(r.created_at) &&
    isTimestamp(r.updated_at),
  listen_history: (r) => {
    if (!isId(r.user_id) || !Array.isArray(r.items) || r.items.length > MAX_ITEMS || !isTimestamp(r.created_at) || !isTimestamp(r.updated_at)) return false;
    for (const item of r.items as unknown[]) if (!isId(item)) return false;
    return true;
  },
};
