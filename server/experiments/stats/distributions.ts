import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

export const Φ = (x: number) => normalCdf(x, 0, 1);
export const z = (p: number) => normalQuantile(p, 0, 1);
export const φ = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
