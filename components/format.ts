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
