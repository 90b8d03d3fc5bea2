import {
  DATASETS,
  escapeUnstorable,
  knownFields,
  type ListenHistoryRecord,
  type LoadedRecord,
  passesContract,
  recordKey,
  recordSchemas,
  type Dataset,
} from "./records";

export type Validation<D extends Dataset> =
  | { ok: true; record: LoadedRecord<D>; key: string; unknownFields: readonly string[] }
  | { ok: false; reason: string; key: string | null; unknownFields: readonly string[] };

const known = Object.fromEntries(DATASETS.map((d) => [d, new Set(knownFields(d))])) as Record<Dataset, Set<string>>;

/** Shared by every record without unknown fields (nearly all): no array made per record. */
const NONE: readonly string[] = Object.freeze([]);

/** What the database can store of text the source chose: no NUL, no half surrogate, not too long. */
const storable = (value: string, max: number) => escapeUnstorable(value.length > max ? `${value.slice(0, max)}…` : value);

function bestEffortKey(dataset: Dataset, raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const id = dataset === "listen_history" ? r.user_id : r.id;
  if (id === undefined) return null;
  const key = dataset === "listen_history" ? `${String(id)}@${String(r.created_at)}` : String(id);
  return storable(key, 200);
}

/** How far past the start of a read a source timestamp may lie: clocks differ, but not by more than a day. */
export const FUTURE_HORIZON_MS = 24 * 3_600_000;

/** A source timestamp (zone-less ones are UTC) in ms since the epoch. */
const epochMs = (value: string) => Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(value) ? value : `${value}Z`);

/** `YYYY-MM-DDTHH:MM:SS` of a time, in UTC; the last one kept, since a whole read asks for the same time. */
let lastIsoSeconds = { ms: Number.NaN, text: "" };
const isoSeconds = (ms: number) => {
  if (lastIsoSeconds.ms !== ms) lastIsoSeconds = { ms, text: new Date(ms).toISOString().slice(0, 19) };
  return lastIsoSeconds.text;
};

/** A valid source timestamp without a zone: it ends neither in Z nor in ±HH:MM. */
const zoneLess = (value: string) => {
  const sign = value.charCodeAt(value.length - 6);
  return value.charCodeAt(value.length - 1) !== 90 && sign !== 43 && sign !== 45;
};

/**
 * A valid zone-less timestamp that sorts before the whole second `latestMs` falls in is earlier than
 * it: fixed-width fields compare as text, with no Date made (this runs twice for every record).
 * Anything else (a zone, the same second) is left to epochMs.
 */
const surelyNotAfter = (value: string, latestSecond: string) => value < latestSecond && zoneLess(value);

/** Timestamps past `latestMs`: a record dated in year 9999 would stay newest for ever, pinning it and turning freshness off. */
function futureTimestamps(record: { created_at: string; updated_at: string }, latestMs: number): string | undefined {
  const latestSecond = isoSeconds(latestMs);
  if (surelyNotAfter(record.created_at, latestSecond) && surelyNotAfter(record.updated_at, latestSecond)) return undefined;
  const late = (["created_at", "updated_at"] as const).filter((field) => epochMs(record[field]) > latestMs);
  if (late.length === 0) return undefined;
  return late
    .map((field) => `${field}: ${record[field]} is more than 24 h after the read began (${new Date(latestMs - FUTURE_HORIZON_MS).toISOString()})`)
    .join("; ");
}

/**
 * The record as zod would output it, when it passes the contract: the raw object itself when it
 * has only known fields (zod would copy it field by field), a history rebuilt with its known fields.
 */
function passes<D extends Dataset>(dataset: D, raw: unknown, unknownFields: readonly string[]): { success: true; data: LoadedRecord<D> } | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  if (!passesContract[dataset](fields)) return undefined;
  if (dataset === "listen_history") {
    const { user_id, items, created_at, updated_at } = fields as ListenHistoryRecord;
    return { success: true, data: { user_id, items, created_at, updated_at } as LoadedRecord<D> };
  }
  if (unknownFields.length > 0) return undefined;
  return { success: true, data: raw as LoadedRecord<D> };
}

/**
 * Checks one raw record against the source contract; the reason names every field that is wrong.
 * `readStartedMs`: timestamps more than FUTURE_HORIZON_MS after it are refused.
 */
export function validateRecord<D extends Dataset>(dataset: D, raw: unknown, readStartedMs = Date.now()): Validation<D> {
  let unknownFields = NONE;
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    for (const field in raw) if (!known[dataset].has(field)) unknownFields = [...unknownFields, storable(field, 100)];
  }
  const parsed = passes(dataset, raw, unknownFields) ?? recordSchemas[dataset].safeParse(raw);
  if (parsed.success) {
    const record = parsed.data as LoadedRecord<D>;
    const key = recordKey(dataset, record);
    const future = futureTimestamps(record, readStartedMs + FUTURE_HORIZON_MS);
    if (future) return { ok: false, reason: future, key: storable(key, 200), unknownFields };
    return { ok: true, record, key, unknownFields };
  }
  const reason = storable(parsed.error.issues.map((i) => `${i.path.join(".") || "record"}: ${i.message}`).join("; "), 2000);
  return { ok: false, reason, key: bestEffortKey(dataset, raw), unknownFields };
}
