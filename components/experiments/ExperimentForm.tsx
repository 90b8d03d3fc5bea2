"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { describeError } from "@/components/format";
import { useTRPC } from "@/components/trpc/client";
import { validateNumbers, type VariantDraft } from "./design-form";
import styles from "./experiments.module.css";

interface Version {
  id: number;
  family: string;
  aliases: string[];
}

/** The design allows six variants: a control and up to five against it. */
const MAX_VARIANTS = 6;

/** A new experiment (a draft) of two to six variants, with the power calculator beside it at the design's α: users needed and days for a minimum detectable effect. */
export function ExperimentForm({ versions, metrics }: { versions: Version[]; metrics: { key: string; label: string }[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const champion = versions.find((v) => v.aliases.includes("champion"));
  const popularity = versions.find((v) => v.family === "popularity");
  const [primary, setPrimary] = useState("listens_per_day");
  const [variants, setVariants] = useState<VariantDraft[]>([
    { key: "control", versionId: champion?.id, share: "50" },
    { key: "treatment", versionId: (versions.find((v) => v.id !== champion?.id && v.family !== "popularity") ?? popularity)?.id, share: "50" },
  ]);
  const [coverage, setCoverage] = useState("100");
  const [alpha, setAlpha] = useState("5");
  const [mde, setMde] = useState("5");
  const [baseline, setBaseline] = useState({ mean: "", sd: "" });
  const [namespace, setNamespace] = useState({ name: "", start: "0", end: "1" });
  const create = useMutation(trpc.experiments.create.mutationOptions());
  const errors = validateNumbers({ variants, coverage, alpha, mde });
  const valid = Object.keys(errors).length === 0;
  const nsShare = namespace.name.trim() ? Number(namespace.end) - Number(namespace.start) : 1;
  const power = useQuery({
    ...trpc.experiments.power.queryOptions({
      metric: primary,
      mde: Number(mde) / 100,
      alpha: Number(alpha) / 100,
      weights: variants.map((v) => Number(v.share)),
      coverage: Number(coverage) / 100,
      namespaceShare: nsShare > 0 && nsShare <= 1 ? nsShare : 1,
      ...(baseline.mean && baseline.sd ? { mean: Number(baseline.mean), sd: Number(baseline.sd) } : {}),
    }),
    enabled: valid,
    retry: false,
  });

  const setVariant = (i: number, change: Partial<VariantDraft>) => setVariants(variants.map((v, j) => (j === i ? { ...v, ...change } : v)));
  /** Shares split evenly again when a variant comes or goes (whole percents; the first takes the rest). */
  const evenly = (list: VariantDraft[]) => {
    const each = Math.floor(100 / list.length);
    return list.map((v, i) => ({ ...v, share: String(i === 0 ? 100 - each * (list.length - 1) : each) }));
  };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!valid) return;
    const form = new FormData(event.currentTarget);
    const checked = (name: string) => metrics.map((m) => m.key).filter((m) => form.get(`${name}:${m}`) === "on" && m !== primary);
    const created = await create
      .mutateAsync({
        key: String(form.get("key")),
        name: String(form.get("name")),
        hypothesis: String(form.get("hypothesis")),
        variants: variants.map((v) => ({ key: v.key, versionId: v.versionId ?? 0, weight: Number(v.share) })),
        coverage: Number(coverage) / 100,
        namespace: namespace.name.trim() ? { name: namespace.name.trim(), start: Number(namespace.start), end: Number(namespace.end) } : null,
        primaryMetric: primary,
        secondaryMetrics: checked("secondary"),
        guardrailMetrics: checked("guardrail"),
        correction: String(form.get("correction")) as "holm" | "bh" | "none",
        sequential: form.get("sequential") === "on",
        alpha: Number(alpha) / 100,
      })
      .catch(() => null);
    if (created) router.push(`/experiments/${created.key}`);
  }

  const fieldError = (name: string) =>
    errors[name] && (
      <span className={styles.fieldError} role="alert">
        {errors[name]}
      </span>
    );
  const versionLabel = (v: Version) => `v${v.id} · ${v.family}${v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}`;
  return (
    <div className="grid-2">
      <form className="panel" onSubmit={onSubmit} aria-label="New experiment" noValidate>
        <h2>Design</h2>
        <div className="form-row">
          <label>
            Key
            <input name="key" required pattern="[a-z0-9][a-z0-9_-]{1,62}" placeholder="e.g. hybrid-vs-popularity" />
          </label>
          <label>
            Name
            <input name="name" required maxLength={200} />
          </label>
        </div>
        <label>
          Hypothesis
          <textarea name="hypothesis" required maxLength={2000} rows={2} placeholder="what you expect, and why" />
        </label>
        <fieldset aria-label="Variants">
          <legend>Variants (the first is the control)</legend>
          {variants.map((v, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: variants are named by their position (control, B, C…) and their inputs are controlled
            <div className={styles.variantRow} key={i} data-testid={`variant-${i}`}>
              <label>
                Variant key
                <input aria-label={`Variant ${i + 1} key`} value={v.key} onChange={(e) => setVariant(i, { key: e.target.value })} maxLength={32} />
                {fieldError(`key${i}`)}
              </label>
              <label>
                {i === 0 ? "Control" : i === 1 && variants.length === 2 ? "Treatment" : `Variant ${i + 1}`}
                <select
                  aria-label={i === 0 ? "Control" : i === 1 && variants.length === 2 ? "Treatment" : `Variant ${i + 1} version`}
                  value={v.versionId ?? ""}
                  onChange={(e) => setVariant(i, { versionId: Number(e.target.value) })}
                >
                  {versions.map((x) => (
                    <option key={x.id} value={x.id}>
                      {versionLabel(x)}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Share (%)
                <input
                  aria-label={`Variant ${i + 1} share (%)`}
                  type="number"
                  min={1}
                  max={99}
                  step="any"
                  value={v.share}
                  onChange={(e) => setVariant(i, { share: e.target.value })}
                />
                {fieldError(`share${i}`)}
              </label>
              {i >= 2 && (
                <button type="button" onClick={() => setVariants(evenly(variants.filter((_, j) => j !== i)))}>
                  Remove {v.key}
                </button>
              )}
            </div>
          ))}
          {fieldError("shares")}
          {variants.length < MAX_VARIANTS && (
            <button
              type="button"
              onClick={() =>
                setVariants(evenly([...variants, { key: `variant-${variants.length + 1}`, versionId: popularity?.id ?? versions[0]?.id, share: "0" }]))
              }
            >
              Add a variant
            </button>
          )}
        </fieldset>
        <div className="form-row">
          <label>
            Coverage (%)
            <input type="number" min={1} max={100} step="any" value={coverage} onChange={(e) => setCoverage(e.target.value)} />
            {fieldError("coverage")}
          </label>
          <label>
            Namespace
            <input
              value={namespace.name}
              onChange={(e) => setNamespace({ ...namespace, name: e.target.value })}
              pattern="[a-z0-9_-]{1,40}"
              placeholder="optional, e.g. home"
            />
          </label>
          <label>
            from
            <input type="number" min={0} max={1} step="any" value={namespace.start} onChange={(e) => setNamespace({ ...namespace, start: e.target.value })} />
          </label>
          <label>
            to
            <input type="number" min={0} max={1} step="any" value={namespace.end} onChange={(e) => setNamespace({ ...namespace, end: e.target.value })} />
          </label>
        </div>
        <div className="form-row">
          <label>
            Primary metric
            <select value={primary} onChange={(e) => setPrimary(e.target.value)}>
              {metrics.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Correction
            <select name="correction" defaultValue="holm">
              <option value="holm">Holm–Bonferroni</option>
              <option value="bh">Benjamini–Hochberg</option>
              <option value="none">none</option>
            </select>
          </label>
          <label>
            α (%)
            <input type="number" min={0.1} max={20} step="any" value={alpha} onChange={(e) => setAlpha(e.target.value)} />
            {fieldError("alpha")}
          </label>
          <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}>
            <input name="sequential" type="checkbox" defaultChecked /> Sequential testing
          </label>
        </div>
        <fieldset>
          <legend>Secondary metrics</legend>
          {metrics.map((m) => (
            <label key={m.key} style={{ display: "inline-flex", gap: 4, marginRight: 10 }}>
              <input type="checkbox" name={`secondary:${m.key}`} defaultChecked={m.key !== primary && !m.key.startsWith("skips")} />
              {m.label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Guardrail metrics</legend>
          {metrics.map((m) => (
            <label key={m.key} style={{ display: "inline-flex", gap: 4, marginRight: 10 }}>
              <input type="checkbox" name={`guardrail:${m.key}`} defaultChecked={m.key.startsWith("skips")} />
              {m.label}
            </label>
          ))}
        </fieldset>
        <button className="primary" type="submit" disabled={create.isPending || !valid}>
          Create draft
        </button>
        {create.error && (
          <p className="error" role="alert">
            {describeError(create.error)}
          </p>
        )}
      </form>
      <section className="panel" aria-label="Power calculator">
        <h2>Power calculator</h2>
        <div className="form-row">
          <label>
            Minimum detectable effect (%)
            <input type="number" min={0.1} max={100} step="any" value={mde} onChange={(e) => setMde(e.target.value)} />
            {fieldError("mde")}
          </label>
          <label>
            Baseline mean
            <input value={baseline.mean} onChange={(e) => setBaseline({ ...baseline, mean: e.target.value })} placeholder="from the listening data" />
          </label>
          <label>
            Baseline sd
            <input value={baseline.sd} onChange={(e) => setBaseline({ ...baseline, sd: e.target.value })} placeholder="from the listening data" />
          </label>
        </div>
        <p className="muted" data-testid="power-assumptions">
          A relative change of {mde || "?"}% in the primary metric; 80% power, α {alpha || "?"}% two-sided
          {variants.length > 2 ? `, split over ${variants.length - 1} comparisons` : ""}, fixed horizon (sequential testing needs somewhat more).
        </p>
        {power.error && (
          <p className="error" role="alert">
            {describeError(power.error)}
          </p>
        )}
        {valid && power.data && (
          <dl className="facts" data-testid="power">
            <dt>Baseline</dt>
            <dd>
              {power.data.label}: mean {power.data.mean.toFixed(3)}, sd {power.data.sd.toFixed(3)}
            </dd>
            <dt>Users needed</dt>
            <dd>{Number.isFinite(power.data.usersNeeded) ? power.data.usersNeeded.toLocaleString("en") : "∞ (no baseline variation)"}</dd>
            <dt>Expected days</dt>
            <dd>
              {power.data.expectedDays ?? (
                <span className={styles.error} data-testid="power-unreachable">
                  not reachable: {power.data.activeListeners.toLocaleString("en")} active listeners in the last 28 days (
                  {power.data.reachableListeners.toLocaleString("en")} at this coverage),{" "}
                  {Number.isFinite(power.data.usersNeeded) ? power.data.usersNeeded.toLocaleString("en") : "∞"} needed
                </span>
              )}
            </dd>
          </dl>
        )}
      </section>
    </div>
  );
}
