import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

// Frequentist and Bayesian comparisons of a variant with control, as GrowthBook's gbstats reports
// them. Inputs are sufficient statistics, so the analysis never holds per-user arrays twice.

export const Φ = (x: number) => normalCdf(x, 0, 1);
export const z = (p: number) => normalQuantile(p, 0, 1);
const φ = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** A variant's metric: its mean and the variance of that mean, with the users behind it. */
export interface Estimate {
  n: number;
  mean: number;
  /** variance of `mean` (not of a user's value) */
  varianceOfMean: number;
  /** Welch–Satterthwaite needs each side's variance of the mean and n; ratio metrics use the normal (df ∞) */
  df?: number;
}

/** Sums of one variant's per-user values: enough for means, variances and CUPED. */
export class Moments {
  n = 0;
  sumY = 0;
  sumY2 = 0;
  sumX = 0;
  sumX2 = 0;
  sumXY = 0;

  /** `y` the metric, `x` the covariate (pre-exposure value; for ratio metrics the denominator). */
  add(y: number, x = 0): void {
    this.n++;
    this.sumY += y;
    this.sumY2 += y * y;
    this.sumX += x;
    this.sumX2 += x * x;
    this.sumXY += x * y;
  }

  /** Adds the sums of `n` more observations (a group of users summed elsewhere, e.g. in SQL). */
  addSums(n: number, [sumY, sumY2, sumX, sumX2, sumXY]: readonly [number, number, number, number, number]): void {
    this.n += n;
    this.sumY += sumY;
    this.sumY2 += sumY2;
    this.sumX += sumX;
    this.sumX2 += sumX2;
    this.sumXY += sumXY;
  }

  get meanY() {
    return this.n ? this.sumY / this.n : 0;
  }
  get meanX() {
    return this.n ? this.sumX / this.n : 0;
  }
  /** sample variances and covariance (n − 1) */
  get varY() {
    return this.n > 1 ? (this.sumY2 - this.n * this.meanY ** 2) / (this.n - 1) : 0;
  }
  get varX() {
    return this.n > 1 ? (this.sumX2 - this.n * this.meanX ** 2) / (this.n - 1) : 0;
  }
  get covXY() {
    return this.n > 1 ? (this.sumXY - this.n * this.meanX * this.meanY) / (this.n - 1) : 0;
  }
}

/** A per-user mean metric. */
export const meanEstimate = (m: Moments): Estimate => ({ n: m.n, mean: m.meanY, varianceOfMean: m.n ? m.varY / m.n : 0, df: m.n - 1 });

/**
 * A ratio metric Σy / Σx (e.g. plays per impression) by the delta method: Var(ȳ/x̄) ≈
 * (σy² − 2R·σxy + R²·σx²) / (n·x̄²) (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics").
 */
export function ratioEstimate(m: Moments): Estimate {
  if (m.n === 0 || m.meanX === 0) return { n: m.n, mean: 0, varianceOfMean: 0 };
  const r = m.meanY / m.meanX;
  return { n: m.n, mean: r, varianceOfMean: (m.varY - 2 * r * m.covXY + r * r * m.varX) / (m.n * m.meanX ** 2) };
}

/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013): y − θ(x − x̄), θ = cov(x, y) / var(x) pooled over the
 * variants, x̄ their pooled covariate mean. Returns each variant's adjusted estimate and the share
 * of variance removed.
 */
export function cuped(variants: Moments[]): { estimates: Estimate[]; varianceReduction: number; theta: number } {
  const all = new Moments();
  for (const v of variants) {
    all.n += v.n;
    all.sumY += v.sumY;
    all.sumY2 += v.sumY2;
    all.sumX += v.sumX;
    all.sumX2 += v.sumX2;
    all.sumXY += v.sumXY;
  }
  const theta = all.varX > 0 ? all.covXY / all.varX : 0;
  const estimates = variants.map((v) => {
    const varAdjusted = Math.max(0, v.varY - 2 * theta * v.covXY + theta * theta * v.varX);
    return { n: v.n, mean: v.meanY - theta * (v.meanX - all.meanX), varianceOfMean: v.n ? varAdjusted / v.n : 0, df: v.n - 1 };
  });
  const before = variants.reduce((s, v) => s + (v.n ? v.varY / v.n : 0), 0);
  const after = estimates.reduce((s, e) => s + e.varianceOfMean, 0);
  return { estimates, varianceReduction: before > 1e-12 ? 1 - after / before : 0, theta };
}

export interface Comparison {
  absolute: { estimate: number; ci: [number, number] };
  relative: { estimate: number; ci: [number, number] };
  pValue: number;
  /** Bayesian, flat prior on the relative effect: chance the variant is better (by the metric's direction) */
  chanceToBeatControl: number;
  /** expected relative loss of choosing the variant, and of keeping control */
  risk: { variant: number; control: number };
}

export interface ComparisonOptions {
  alpha: number;
  /** +1 when higher is better, −1 when lower is */
  direction: 1 | -1;
  /** always-valid intervals and p-values (Howard et al. 2021); the tuning parameter is the sample size they are tightest at */
  sequential?: { tuning: number } | null;
}

/** Welch–Satterthwaite degrees of freedom; ∞ when either side has none (ratio metrics: normal). */
function welchDf(a: Estimate, b: Estimate): number {
  if (a.df === undefined || b.df === undefined || a.df < 1 || b.df < 1) return Number.POSITIVE_INFINITY;
  const s = a.varianceOfMean + b.varianceOfMean;
  const d = a.varianceOfMean ** 2 / a.df + b.varianceOfMean ** 2 / b.df;
  return d > 0 ? (s * s) / d : Number.POSITIVE_INFINITY;
}

const quantile = (p: number, df: number) => (Number.isFinite(df) ? tQuantile(p, df) : z(p));
const twoSidedP = (stat: number, df: number) => 2 * (1 - (Number.isFinite(df) ? tCdf(Math.abs(stat), df) : Φ(Math.abs(stat))));

/**
 * Half-width of the asymptotic confidence sequence of Howard, Ramdas, McAuliffe & Sekhon (2021),
 * eq. (14), as GrowthBook applies it to an effect with standard error `se` after `n` users:
 * σ√n · √(2(nρ²+1)/(n²ρ²) · ln(√(nρ²+1)/α)), ρ chosen so the bound is tightest at n = tuning.
 */
export function sequentialHalfWidth(se: number, n: number, alpha: number, tuning: number): number {
  const rho = Math.sqrt((-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tuning);
  const sigma = se * Math.sqrt(n);
  return sigma * Math.sqrt(((2 * (n * rho * rho + 1)) / (n * n * rho * rho)) * Math.log(Math.sqrt(n * rho * rho + 1) / alpha));
}

/** The smallest α whose confidence sequence excludes 0: an always-valid p-value (bisection; the width falls as α grows). */
function sequentialP(estimate: number, se: number, n: number, tuning: number): number {
  if (se === 0) return estimate === 0 ? 1 : 0;
  if (sequentialHalfWidth(se, n, 1 - 1e-12, tuning) >= Math.abs(estimate)) return 1;
  let lo = 1e-12;
  let hi = 1 - 1e-12;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (sequentialHalfWidth(se, n, mid, tuning) < Math.abs(estimate)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Variant `b` against control `a`. Relative intervals by the delta method on b̄/ā − 1. */
export function compare(a: Estimate, b: Estimate, options: ComparisonOptions): Comparison {
  const { alpha, direction } = options;
  const diff = b.mean - a.mean;
  const se = Math.sqrt(a.varianceOfMean + b.varianceOfMean);
  const rel = a.mean !== 0 ? diff / a.mean : 0;
  const seRel = a.mean !== 0 ? Math.sqrt(b.varianceOfMean / a.mean ** 2 + (b.mean ** 2 * a.varianceOfMean) / a.mean ** 4) : 0;
  const df = welchDf(a, b);
  let half: number;
  let halfRel: number;
  let pValue: number;
  if (options.sequential) {
    const n = a.n + b.n;
    half = sequentialHalfWidth(se, n, alpha, options.sequential.tuning);
    halfRel = sequentialHalfWidth(seRel, n, alpha, options.sequential.tuning);
    pValue = sequentialP(diff, se, n, options.sequential.tuning);
  } else {
    const q = quantile(1 - alpha / 2, df);
    half = q * se;
    halfRel = q * seRel;
    pValue = se > 0 ? twoSidedP(diff / se, df) : diff === 0 ? 1 : 0;
  }
  // Bayesian with a flat prior: the relative effect's posterior is N(rel, seRel²) (gbstats' effect test).
  const signed = direction * rel;
  const chance = seRel > 0 ? Φ(signed / seRel) : signed > 0 ? 1 : signed < 0 ? 0 : 0.5;
  const lossIfVariant = seRel > 0 ? seRel * φ(signed / seRel) - signed * Φ(-signed / seRel) : Math.max(0, -signed);
  const lossIfControl = seRel > 0 ? seRel * φ(signed / seRel) + signed * Φ(signed / seRel) : Math.max(0, signed);
  return {
    absolute: { estimate: diff, ci: [diff - half, diff + half] },
    relative: { estimate: rel, ci: [rel - halfRel, rel + halfRel] },
    pValue: Math.min(1, Math.max(0, pValue)),
    chanceToBeatControl: chance,
    risk: { variant: lossIfVariant, control: lossIfControl },
  };
}

/** Holm–Bonferroni adjusted p-values (step-down), in the input's order. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Benjamini–Hochberg adjusted p-values (step-up), in the input's order. */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const [p, i] = order[rank]!;
    running = Math.min(running, (m * p) / (rank + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/**
 * Sample ratio mismatch: Pearson's χ² of the exposures against the weights (df = variants − 1).
 * Never NaN: a variant weighted 0 (stored before weights had a floor) adds nothing when empty, and
 * any exposure in it is a certain mismatch (χ² reported as the largest finite number, p 0, so it stores as JSON).
 */
export function sampleRatioMismatch(counts: readonly number[], weights: readonly number[]): { chiSquare: number; pValue: number } {
  const total = counts.reduce((s, c) => s + c, 0);
  const sumW = weights.reduce((s, w) => s + w, 0);
  if (total === 0 || counts.length < 2 || !(sumW > 0)) return { chiSquare: 0, pValue: 1 };
  let chiSquare = 0;
  let cells = 0;
  for (const [i, c] of counts.entries()) {
    const expected = (total * weights[i]!) / sumW;
    if (!(expected > 0)) {
      if (c > 0) return { chiSquare: Number.MAX_VALUE, pValue: 0 };
      continue;
    }
    chiSquare += (c - expected) ** 2 / expected;
    cells++;
  }
  if (cells < 2) return { chiSquare: 0, pValue: 1 };
  // A weight so small its expected count is next to nothing overflows χ²: as certain a mismatch.
  if (!Number.isFinite(chiSquare)) return { chiSquare: Number.MAX_VALUE, pValue: 0 };
  return { chiSquare, pValue: 1 - chisquareCdf(chiSquare, cells - 1) };
}

/**
 * Users a two-sided fixed-horizon test needs to detect a relative effect `mde` on a metric with
 * this mean and standard deviation, with `weights` (control first) and Bonferroni over the variants:
 * n = (z₁₋α/₂ + z₁₋β)² σ² (1/w_c + 1/w_v) / (mde·μ)².
 */
export function usersNeeded(options: { mean: number; sd: number; mde: number; alpha: number; power: number; weights: readonly number[] }): number {
  const { mean, sd, mde, alpha, power, weights } = options;
  const comparisons = Math.max(1, weights.length - 1);
  const zz = z(1 - alpha / (2 * comparisons)) + z(power);
  const wc = weights[0]!;
  const wv = Math.min(...weights.slice(1));
  const effect = mde * Math.abs(mean);
  if (effect === 0) return Number.POSITIVE_INFINITY;
  return Math.ceil((zz * zz * sd * sd * (1 / wc + 1 / wv)) / (effect * effect));
}
