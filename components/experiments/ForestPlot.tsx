import { formatPercent } from "./format";

const WIDTH = 240;
const PAD = 14;

/** A round step (1, 2, 2.5 or 5 × 10^k) giving about two ticks each side of 0 up to `bound`. */
function tickStep(bound: number): number {
  const rough = bound / 2;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
}

/** One metric's axis: centred at 0, reaching past its widest interval, with round ticks. */
export function metricAxis(intervals: readonly (readonly [number, number])[]): { bound: number; ticks: number[] } {
  const widest = Math.max(0.01, ...intervals.flatMap(([low, high]) => [Math.abs(low), Math.abs(high)]).filter(Number.isFinite));
  const step = tickStep(widest);
  const bound = step * Math.ceil(widest / step);
  const ticks: number[] = [];
  for (let t = -bound; t <= bound + step / 2; t += step) ticks.push(Math.abs(t) < step / 1e6 ? 0 : t);
  return { bound, ticks };
}

const tickLabel = (v: number, step: number) => formatPercent(v, step >= 0.01 ? 0 : 1).replace(/^[+−](0(\.0)?%)$/, "$1");

/**
 * One interval on its metric's own axis (GrowthBook's results): the estimate as a dot, the interval
 * as a bar, 0 as the line, ticks below; green when significantly better, red when worse.
 */
export function IntervalBar({
  low,
  estimate,
  high,
  axis,
  better,
}: {
  low: number;
  estimate: number;
  high: number;
  axis: { bound: number; ticks: number[] };
  better: boolean | null;
}) {
  const x = (v: number) => WIDTH / 2 + (Math.max(-axis.bound, Math.min(axis.bound, v)) / axis.bound) * (WIDTH / 2 - PAD);
  const colour = better === null ? "#5b6472" : better ? "#067647" : "#b42318";
  const step = axis.ticks.length > 1 ? axis.ticks[1]! - axis.ticks[0]! : axis.bound;
  return (
    <svg
      width={WIDTH}
      height={38}
      role="img"
      aria-label={`interval ${formatPercent(low)} to ${formatPercent(high)}, estimate ${formatPercent(estimate)}, on an axis from ${tickLabel(-axis.bound, step)} to ${tickLabel(axis.bound, step)}`}
    >
      <line x1={x(0)} x2={x(0)} y1={0} y2={24} stroke="#1b1f24" strokeWidth={1} />
      <line x1={x(low)} x2={x(high)} y1={9} y2={9} stroke={colour} strokeWidth={4} strokeLinecap="round" />
      <circle cx={x(estimate)} cy={9} r={4} fill="#fff" stroke={colour} strokeWidth={2} />
      <line x1={PAD} x2={WIDTH - PAD} y1={22} y2={22} stroke="#8a93a0" strokeWidth={1} />
      {axis.ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={20} y2={25} stroke="#8a93a0" strokeWidth={1} />
          <text x={x(t)} y={35} fontSize={9} textAnchor="middle" fill="#3d4450">
            {tickLabel(t, step)}
          </text>
        </g>
      ))}
    </svg>
  );
}
