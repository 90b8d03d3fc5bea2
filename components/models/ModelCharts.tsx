"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartPanel } from "@/components/charts/ChartPanel";

export interface QualityPoint {
  id: number;
  family: string;
  ndcg10: number;
  recall20: number;
  popularityNdcg10: number | null;
}

/** NDCG@10 and recall@20 of each version, in the order they were trained, with popularity on the same split beside. */
export function QualityChart({ data }: { data: QualityPoint[] }) {
  return (
    <ChartPanel title="Offline quality per version (test split)" empty={data.length === 0}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="id" tickFormatter={(id: number) => `v${id}`} />
          <YAxis />
          <Tooltip labelFormatter={(_, payload) => {
            const point = payload?.[0]?.payload as QualityPoint | undefined;
            return point ? `version ${point.id} · ${point.family}` : "";
          }} formatter={(value) => (typeof value === "number" ? value.toFixed(4) : String(value))} />
          <Legend />
          <Line dataKey="ndcg10" name="NDCG@10" stroke="#5b3cc4" dot={{ r: 2 }} isAnimationActive={false} />
          <Line dataKey="recall20" name="recall@20" stroke="#2e9e62" dot={{ r: 2 }} isAnimationActive={false} />
          <Line dataKey="popularityNdcg10" name="popularity NDCG@10" stroke="#999" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}

/** The objective after each training iteration. */
export function TrainingCurve({ curve }: { curve: number[] }) {
  const data = curve.map((loss, i) => ({ iteration: i + 1, loss }));
  return (
    <ChartPanel title="Training loss per iteration" empty={data.length === 0}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ left: 8, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="iteration" />
          <YAxis tickFormatter={(v: number) => v.toExponential(1)} width={64} />
          <Tooltip formatter={(value) => (typeof value === "number" ? value.toExponential(4) : String(value))} />
          <Line dataKey="loss" stroke="#5b3cc4" dot={{ r: 2 }} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}

export interface OnlinePoint {
  day: string;
  users: number;
  ndcg10: number;
  recall20: number;
  offlineNdcg10: number;
}

/** The champion on the listening that arrived after its snapshot, per day, with its offline NDCG@10 as the line to hold. */
export function OnlineChart({ data }: { data: OnlinePoint[] }) {
  return (
    <ChartPanel title="Champion on new listening, per day" empty={data.length === 0}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis />
          <Tooltip labelFormatter={(_, payload) => {
            const point = payload?.[0]?.payload as OnlinePoint | undefined;
            return point ? `${point.day} · ${point.users} users with new listening` : "";
          }} formatter={(value) => (typeof value === "number" ? value.toFixed(4) : String(value))} />
          <Legend />
          <Line dataKey="ndcg10" name="NDCG@10" stroke="#5b3cc4" dot={{ r: 2 }} isAnimationActive={false} />
          <Line dataKey="recall20" name="recall@20" stroke="#2e9e62" dot={{ r: 2 }} isAnimationActive={false} />
          <Line dataKey="offlineNdcg10" name="offline NDCG@10" stroke="#999" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}
