// The new-experiment form's numbers, as typed, checked before anything is sent.

export interface VariantDraft {
  key: string;
  versionId: number | undefined;
  /** percent of the listeners taken in */
  share: string;
}

/** Percent fields as typed; each problem said next to its field. */
export interface Numbers {
  variants: VariantDraft[];
  coverage: string;
  alpha: string;
  mde: string;
}

const percentIn = (raw: string, min: number, max: number) => {
  const v = Number(raw);
  return raw.trim() !== "" && Number.isFinite(v) && v >= min && v <= max ? v : null;
};

export function validateNumbers({ variants, coverage, alpha, mde }: Numbers): Record<string, string> {
  const errors: Record<string, string> = {};
  const shares = variants.map((v) => percentIn(v.share, 1, 99));
  variants.forEach((v, i) => {
    if (shares[i] === null) errors[`share${i}`] = "a share from 1% to 99%";
    if (!/^[a-z0-9_-]{1,32}$/.test(v.key)) errors[`key${i}`] = "lower-case letters, digits, - and _";
    else if (variants.findIndex((w) => w.key === v.key) !== i) errors[`key${i}`] = "variant keys must differ";
  });
  if (shares.every((x) => x !== null) && Math.abs(shares.reduce((s, x) => s + x!, 0) - 100) > 0.01)
    errors.shares = `the shares add up to ${shares.reduce((s, x) => s + x!, 0)}%, not 100%`;
  if (percentIn(coverage, 1, 100) === null) errors.coverage = "coverage from 1% to 100%";
  const a = percentIn(alpha, 0.1, 20);
  if (a === null) errors.alpha = "α from 0.1% to 20%";
  if (percentIn(mde, 0.1, 100) === null) errors.mde = "an effect from 0.1% to 100% (e.g. 5 for 5%)";
  return errors;
}
