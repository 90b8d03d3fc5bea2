"use client";

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { PipelineOverview } from "@/server/monitoring/overview";
import { ChartPanel } from "./ChartPanel";

const DATASET_COLOURS = { tracks: "#5b3cc4", users: "#2e9e62", listen_history: "#e08a2e" } as const;
const utcTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export function DurationChart({ data }: { data: PipelineOverview["charts"]["durations"] }) {
  return (
    <ChartPanel title="Run duration (seconds)" empty={data.length === 0}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="run" tickFormatter={(run: number) => `#${run}`} />
          <YAxis />
          <Tooltip
            labelFormatter={(_, payload) => {
              const point = payload?.[0]?.payload as (typeof data)[number] | undefined;
              return point ? `run ${point.run} · ${point.status} · started ${utcTime(point.startedAt)}` : "";
            }}
            formatter={(value) => [`${value} s`, "duration"]}
          />
          {/* A line through one point has no length: a single run is a dot big enough to see. */}
          <Line type="monotone" dataKey="seconds" stroke="#5b3cc4" dot={{ r: data.length === 1 ? 5 : 2 }} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}

type DatasetRows = { tracks: number; users: number; listen_history: number };

function RowsByDatasetChart({
  title,
  data,
  xKey,
  tick,
  label,
}: {
  title: string;
  data: (DatasetRows & ({ run: number } | { day: string }))[];
  xKey: "run" | "day";
  tick?: (value: number) => string;
  label: (value: unknown) => string;
}) {
  return (
    <ChartPanel title={title} empty={data.length === 0}>
      <ResponsiveContainer>
        <BarChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey={xKey} tickFormatter={tick} />
          <YAxis />
          <Tooltip labelFormatter={label} formatter={(value, name) => [Number(value).toLocaleString("en-GB"), name]} />
          <Legend />
          {(Object.keys(DATASET_COLOURS) as (keyof typeof DATASET_COLOURS)[]).map((d) => (
            <Bar key={d} dataKey={d} stackId="rows" fill={DATASET_COLOURS[d]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}

export function RowsPerRunChart({ data }: { data: PipelineOverview["charts"]["rowsPerRun"] }) {
  return (
    <RowsByDatasetChart
      title="Rows fetched per run, by dataset"
      data={data}
      xKey="run"
      tick={(run: number) => `#${run}`}
      label={(run) => `run ${String(run)}`}
    />
  );
}

export function RowsPerDayChart({ data }: { data: PipelineOverview["charts"]["rowsPerDay"] }) {
  return <RowsByDatasetChart title="Rows written per day (inserted + updated), UTC days" data={data} xKey="day" label={(day) => `${String(day)} (UTC)`} />;
}

export function OutcomesPerDayChart({ data }: { data: PipelineOverview["charts"]["outcomesPerDay"] }) {
  return (
    <ChartPanel title="Runs by outcome per day (UTC)" empty={data.length === 0}>
      <ResponsiveContainer>
        <BarChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis allowDecimals={false} />
          <Tooltip labelFormatter={(day) => `${day} (UTC)`} />
          <Legend />
          <Bar dataKey="success" stackId="runs" fill="#2e9e62" isAnimationActive={false} />
          <Bar dataKey="failed" stackId="runs" fill="#d9453b" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}
