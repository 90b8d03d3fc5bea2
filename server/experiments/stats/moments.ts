// A variant's metric from sufficient statistics, as gbstats' SampleMeanStatistic and RatioStatistic:
// the analysis never holds per-user arrays twice.

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
