"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartPanel } from "@/components/charts/ChartPanel";

/** Tracks listened per day (UTC), as the listen history holds them. */
export function ListeningChart({ days }: { days: { day: string; listens: number }[] }) {
  return (
    <ChartPanel title="Listens per day (UTC)" empty={days.length === 0} emptyText="No listening yet.">
      <ResponsiveContainer>
        <BarChart data={days} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" minTickGap={24} />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Bar dataKey="listens" name="tracks listened" fill="#5b3cc4" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}
