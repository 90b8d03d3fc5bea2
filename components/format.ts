/** Where the console shows times: UTC, or an IANA zone (the operator's browser's, when they choose local time). */
export type DisplayZone = string;
export const UTC: DisplayZone = "UTC";
/** The cookie that remembers an operator's choice, read by the server so its HTML matches the browser's. */
export const ZONE_COOKIE = "encore-tz";

/** A zone name Intl knows, else UTC: the cookie comes from the client. */
export function displayZone(value: string | undefined): DisplayZone {
  if (!value || value.length > 64) return UTC;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return value;
  } catch {
    return UTC;
  }
}

const formatters = new Map<DisplayZone, Intl.DateTimeFormat>();
function partsIn(date: Date, zone: DisplayZone) {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    });
    formatters.set(zone, formatter);
  }
  return Object.fromEntries(formatter.formatToParts(date).map((p) => [p.type, p.value]));
}

/** One format for every time in the console, ISO 8601 with its zone: "2026-12-02 04:22 UTC", or "2026-12-02 09:52 +05:30". */
export function formatTime(date: Date | null | undefined, zone: DisplayZone = UTC): string {
  if (!date) return "—";
  const p = partsIn(date, zone);
  // longOffset reads "GMT+05:30", or "GMT" for a zero offset.
  const offset = zone === UTC ? "UTC" : p.timeZoneName === "GMT" ? "+00:00" : String(p.timeZoneName).replace("GMT", "");
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${offset}`;
}

/** A time in UTC, for text that is not a <Time> (titles, confirmations). */
export const formatUtc = (date: Date | null | undefined): string => formatTime(date, UTC);

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

export function formatBytes(bytes: bigint | number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  return `${Math.round(Number(bytes) / 2 ** 20)} MB`;
}

/** A stored size in binary units, fine enough for a small lake: "512 B", "3.4 KB", "18 MB", "1.2 GB". */
export function formatSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export const formatPercent = (share: number | null) => (share === null ? "—" : `${(share * 100).toFixed(1)}%`);

export const secondsBetween = (start: Date | null, end: Date | null) => (start && end ? (end.getTime() - start.getTime()) / 1000 : null);

/** A tRPC error's message, with zod's field errors spelled out when there are any. */
export function describeError(error: unknown): string {
  if (!error || typeof error !== "object") return "Something went wrong.";
  const data = (error as { data?: { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } }).data;
  const fields = Object.entries(data?.zodError?.fieldErrors ?? {}).filter(([, v]) => v?.length);
  if (fields.length) return fields.map(([field, messages]) => `${field}: ${messages!.join(", ")}`).join("; ");
  return (error as { message?: string }).message ?? "Something went wrong.";
}
