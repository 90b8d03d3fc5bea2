"use client";

import { Area, Bar, BarChart, CartesianGrid, ComposedChart, ErrorBar, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartPanel } from "@/components/charts/ChartPanel";

const COLOURS = ["#999", "#5b3cc4", "#2e9e62", "#d9822b", "#c23b3b", "#2751c9"];
const percent = (v: unknown) => (typeof v === "number" ? `${(v * 100).toFixed(1)}%` : String(v));
/** Axis ticks: whole percents with their sign, so "−800%" fits instead of being clipped to ".800.0%". */
const tickPercent = (v: number) => `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(Math.round(v * 100))}%`;

/** New listeners exposed per day, by variant (UTC days). */
export function ExposuresChart({ rows, variants }: { rows: { day: string; variant: string; users: number }[]; variants: string[] }) {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const data = days.map((day) =>
    Object.fromEntries([["day", day], ...variants.map((v) => [v, rows.find((r) => r.day === day && r.variant === v)?.users ?? 0])]),
  );
  return (
    <ChartPanel title="Listeners first exposed per day" empty={data.length === 0} emptyText="No exposures yet.">
      <ResponsiveContainer>
        <BarChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Legend />
          {variants.map((v, i) => (
            <Bar key={v} dataKey={v} stackId="exposed" fill={COLOURS[i % COLOURS.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}

/** The primary metric's relative uplift as each day's analysis estimated it, with its interval as a band. */
export function UpliftOverTime({ points, metric }: { points: { day: string; estimate: number; band: [number, number] }[]; metric: string }) {
  // Wide enough for the longest tick label (about 7 px a character at this size).
  const longest = Math.max(4, ...points.flatMap((p) => [p.estimate, ...p.band]).map((v) => tickPercent(v).length));
  // One day's analysis has no band to fill (an area needs two points): its interval is an error bar around a larger dot.
  const single = points.length === 1;
  const data = points.map((p) => ({ ...p, error: [p.estimate - p.band[0], p.band[1] - p.estimate] }));
  return (
    <ChartPanel title={`Uplift of ${metric} over time`} empty={points.length === 0} emptyText="No analysis yet: it runs after each ingestion.">
      <ResponsiveContainer>
        <ComposedChart data={data} margin={{ left: 8, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis tickFormatter={tickPercent} width={longest * 7 + 16} />
          <Tooltip formatter={percent} />
          <ReferenceLine y={0} stroke="#333" />
          <Area dataKey="band" name="interval" stroke="none" fill="#5b3cc4" fillOpacity={0.18} isAnimationActive={false} />
          <Line dataKey="estimate" name="relative uplift" stroke="#5b3cc4" dot={{ r: single ? 4 : 2 }} isAnimationActive={false}>
            {single && <ErrorBar dataKey="error" width={12} stroke="#5b3cc4" strokeWidth={2} />}
          </Line>
        </ComposedChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}
