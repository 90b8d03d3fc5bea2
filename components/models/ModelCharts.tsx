"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartPanel } from "@/components/charts/ChartPanel";
import type { Family } from "@/server/recommender/families/types";

export interface QualityPoint {
  id: number;
  family: string;
  ndcg10: number;
  recall20: number;
}

/** A colour per family, the same on every chart (a new family makes the compiler ask for its own). */
const FAMILY_COLOURS: Record<Family, string> = {
  popularity: "#888888",
  item_knn: "#2e9e62",
  als: "#5b3cc4",
  ease: "#c4572e",
  rp3beta: "#b8860b",
  hybrid: "#1f77b4",
};
const OTHER_COLOURS = ["#8b1c62", "#2f4f4f"];

/**
 * NDCG@10 of each version on its run's test split, in the order they were trained: one series per
 * family, so a line joins only versions of the same family.
 */
export function QualityChart({ data }: { data: QualityPoint[] }) {
  const families = [...new Set(data.map((p) => p.family))];
  const rows = data.map((p) => ({ id: p.id, point: p, [p.family]: p.ndcg10 }));
  return (
    <ChartPanel title="Offline NDCG@10 per version, by family (test split)" empty={data.length === 0}>
      <ResponsiveContainer>
        <LineChart data={rows} margin={{ left: 0, right: 12, top: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="id" tickFormatter={(id: number) => `v${id}`} />
          <YAxis />
          <Tooltip
            labelFormatter={(_, payload) => {
              const point = (payload?.[0]?.payload as { point?: QualityPoint } | undefined)?.point;
              return point ? `version ${point.id} · ${point.family} · recall@20 ${point.recall20.toFixed(4)}` : "";
            }}
            formatter={(value) => (typeof value === "number" ? value.toFixed(4) : String(value))}
          />
          <Legend />
          {families.map((family, k) => (
            <Line
              key={family}
              dataKey={family}
              name={family}
              stroke={FAMILY_COLOURS[family as Family] ?? OTHER_COLOURS[k % OTHER_COLOURS.length]}
              dot={{ r: 3 }}
              connectNulls
              isAnimationActive={false}
            />
          ))}
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
          <Tooltip
            labelFormatter={(_, payload) => {
              const point = payload?.[0]?.payload as OnlinePoint | undefined;
              return point ? `${point.day} · ${point.users} users with new listening` : "";
            }}
            formatter={(value) => (typeof value === "number" ? value.toFixed(4) : String(value))}
          />
          <Legend />
          <Line dataKey="ndcg10" name="NDCG@10" stroke="#5b3cc4" dot={{ r: 2 }} isAnimationActive={false} />
          <Line dataKey="recall20" name="recall@20" stroke="#2e9e62" dot={{ r: 2 }} isAnimationActive={false} />
          <Line
            dataKey="offlineNdcg10"
            name="offline NDCG@10"
            stroke="#999"
            strokeDasharray="4 4"
            dot={data.length === 1 ? { r: 3 } : false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </ChartPanel>
  );
}
