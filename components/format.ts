const utc = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** Times in the console are UTC and say so. */
export function formatUtc(date: Date | null | undefined): string {
  return date ? `${utc.format(date).replace(",", "")} UTC` : "—";
}

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
