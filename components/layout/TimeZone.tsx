"use client";

import { useRouter } from "next/navigation";
import { createContext, useContext, useState, type ReactNode } from "react";
import { formatTime, UTC, ZONE_COOKIE, type DisplayZone } from "@/components/format";

const ZoneContext = createContext<{ zone: DisplayZone; setZone: (zone: DisplayZone) => void }>({ zone: UTC, setZone: () => {} });

/** The operator's display zone, as the server read it from the cookie, so server and browser render the same text. */
export function TimeZoneProvider({ zone: initial, children }: { zone: DisplayZone; children: ReactNode }) {
  const [zone, setZone] = useState(initial);
  return <ZoneContext.Provider value={{ zone, setZone }}>{children}</ZoneContext.Provider>;
}

/** A time in the console's one format, in the operator's chosen zone. */
export function Time({ value }: { value: Date | null | undefined }) {
  const { zone } = useContext(ZoneContext);
  if (!value) return <>—</>;
  return <time dateTime={value.toISOString()}>{formatTime(value, zone)}</time>;
}

/** UTC or the browser's own zone, remembered for a year in a cookie (per browser, as Airflow's choice is). */
export function TimeZoneChoice() {
  const { zone, setZone } = useContext(ZoneContext);
  const router = useRouter();
  function choose(value: string) {
    const next = value === "local" ? Intl.DateTimeFormat().resolvedOptions().timeZone : UTC;
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from Firefox and older Safari, which operators use
    document.cookie = `${ZONE_COOKIE}=${encodeURIComponent(next)}; path=/; max-age=31536000; samesite=lax`;
    setZone(next);
    // Server-rendered times are in the HTML already: render them again in the new zone.
    router.refresh();
  }
  return (
    <label className="zone-choice">
      Times in
      <select value={zone === UTC ? "utc" : "local"} onChange={(e) => choose(e.target.value)}>
        <option value="utc">UTC</option>
        <option value="local">local time{zone === UTC ? "" : ` (${zone})`}</option>
      </select>
    </label>
  );
}
