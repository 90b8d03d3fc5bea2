/** One interval on a shared axis: the estimate as a dot, the interval as a bar, 0 as the line (a row of a forest plot). */
export function IntervalBar({ low, estimate, high, scale, better }: { low: number; estimate: number; high: number; scale: number; better: boolean | null }) {
  const width = 180;
  const x = (v: number) => width / 2 + (Math.max(-scale, Math.min(scale, v)) / scale) * (width / 2 - 6);
  const colour = better === null ? "#777" : better ? "#2e9e62" : "#c23b3b";
  return (
    <svg width={width} height={16} role="img" aria-label={`interval ${(low * 100).toFixed(1)}% to ${(high * 100).toFixed(1)}%`}>
      <line x1={width / 2} x2={width / 2} y1={0} y2={16} stroke="#333" strokeWidth={1} />
      <line x1={x(low)} x2={x(high)} y1={8} y2={8} stroke={colour} strokeWidth={4} strokeLinecap="round" />
      <circle cx={x(estimate)} cy={8} r={4} fill="#fff" stroke={colour} strokeWidth={2} />
    </svg>
  );
}
