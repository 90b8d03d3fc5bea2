"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { describeError } from "@/components/format";
import { useTRPC } from "@/components/trpc/client";

interface Version {
  id: number;
  family: string;
  aliases: string[];
}

/** A new experiment (a draft), with the power calculator beside it: users needed and days for a minimum detectable effect. */
export function ExperimentForm({ versions, metrics }: { versions: Version[]; metrics: { key: string; label: string }[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const champion = versions.find((v) => v.aliases.includes("champion"));
  const popularity = versions.find((v) => v.family === "popularity");
  const [primary, setPrimary] = useState("listens_per_day");
  const [mde, setMde] = useState(0.05);
  const [coverage, setCoverage] = useState(1);
  const [treatmentShare, setTreatmentShare] = useState(0.5);
  const [baseline, setBaseline] = useState({ mean: "", sd: "" });
  const create = useMutation(trpc.experiments.create.mutationOptions());
  const weights = [1 - treatmentShare, treatmentShare];
  const power = useQuery({
    ...trpc.experiments.power.queryOptions({
      metric: primary,
      mde,
      weights,
      coverage,
      ...(baseline.mean && baseline.sd ? { mean: Number(baseline.mean), sd: Number(baseline.sd) } : {}),
    }),
    enabled: mde > 0 && treatmentShare > 0 && treatmentShare < 1,
    retry: false,
  });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const checked = (name: string) => metrics.map((m) => m.key).filter((m) => form.get(`${name}:${m}`) === "on" && m !== primary);
    const namespace = String(form.get("namespace") ?? "").trim();
    const created = await create
      .mutateAsync({
        key: String(form.get("key")),
        name: String(form.get("name")),
        hypothesis: String(form.get("hypothesis")),
        variants: [
          { key: "control", versionId: Number(form.get("control")), weight: weights[0]! },
          { key: "treatment", versionId: Number(form.get("treatment")), weight: weights[1]! },
        ],
        coverage,
        namespace: namespace ? { name: namespace, start: Number(form.get("nsStart")), end: Number(form.get("nsEnd")) } : null,
        primaryMetric: primary,
        secondaryMetrics: checked("secondary"),
        guardrailMetrics: checked("guardrail"),
        correction: String(form.get("correction")) as "holm" | "bh" | "none",
        sequential: form.get("sequential") === "on",
        alpha: Number(form.get("alpha")),
      })
      .catch(() => null);
    if (created) router.push(`/experiments/${created.key}`);
  }

  return (
    <div className="grid-2">
      <form className="panel" onSubmit={onSubmit} aria-label="New experiment">
        <h2>Design</h2>
        <div className="form-row">
          <label>Key<input name="key" required pattern="[a-z0-9][a-z0-9_-]{1,62}" placeholder="e.g. hybrid-vs-popularity" /></label>
          <label>Name<input name="name" required maxLength={200} /></label>
        </div>
        <label>Hypothesis<textarea name="hypothesis" required maxLength={2000} rows={2} placeholder="what you expect, and why" /></label>
        <div className="form-row">
          <label>
            Control
            <select name="control" aria-label="Control" defaultValue={champion?.id}>
              {versions.map((v) => <option key={v.id} value={v.id}>{`v${v.id} · ${v.family}${v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}`}</option>)}
            </select>
          </label>
          <label>
            Treatment
            <select name="treatment" aria-label="Treatment" defaultValue={(versions.find((v) => v.id !== champion?.id && v.family !== "popularity") ?? popularity)?.id}>
              {versions.map((v) => <option key={v.id} value={v.id}>{`v${v.id} · ${v.family}${v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}`}</option>)}
            </select>
          </label>
          <label>Treatment share<input type="number" min={0.05} max={0.95} step="any" value={treatmentShare} onChange={(e) => setTreatmentShare(Number(e.target.value))} /></label>
          <label>Coverage<input type="number" min={0.01} max={1} step="any" value={coverage} onChange={(e) => setCoverage(Number(e.target.value))} /></label>
        </div>
        <div className="form-row">
          <label>Namespace<input name="namespace" pattern="[a-z0-9_-]{1,40}" placeholder="optional, e.g. home" /></label>
          <label>from<input name="nsStart" type="number" min={0} max={1} step="any" defaultValue={0} /></label>
          <label>to<input name="nsEnd" type="number" min={0} max={1} step="any" defaultValue={1} /></label>
        </div>
        <div className="form-row">
          <label>
            Primary metric
            <select value={primary} onChange={(e) => setPrimary(e.target.value)}>
              {metrics.map((m) => <option key={m.key} value={m.key}>{m.label}</option>)}
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
          <label>α<input name="alpha" type="number" min={0.001} max={0.2} step="any" defaultValue={0.05} /></label>
          <label style={{ flexDirection: "row", alignItems: "center", gap: 6 }}><input name="sequential" type="checkbox" defaultChecked /> Sequential testing</label>
        </div>
        <fieldset>
          <legend>Secondary metrics</legend>
          {metrics.map((m) => <label key={m.key} style={{ display: "inline-flex", gap: 4, marginRight: 10 }}><input type="checkbox" name={`secondary:${m.key}`} defaultChecked={m.key !== primary && !m.key.startsWith("skips")} />{m.label}</label>)}
        </fieldset>
        <fieldset>
          <legend>Guardrail metrics</legend>
          {metrics.map((m) => <label key={m.key} style={{ display: "inline-flex", gap: 4, marginRight: 10 }}><input type="checkbox" name={`guardrail:${m.key}`} defaultChecked={m.key.startsWith("skips")} />{m.label}</label>)}
        </fieldset>
        <button className="primary" type="submit" disabled={create.isPending}>Create draft</button>
        {create.error && <p className="error" role="alert">{describeError(create.error)}</p>}
      </form>
      <section className="panel" aria-label="Power calculator">
        <h2>Power calculator</h2>
        <div className="form-row">
          <label>Minimum detectable effect (relative)<input type="number" min={0.005} max={1} step="any" value={mde} onChange={(e) => setMde(Number(e.target.value))} /></label>
          <label>Baseline mean<input value={baseline.mean} onChange={(e) => setBaseline({ ...baseline, mean: e.target.value })} placeholder="from the listening data" /></label>
          <label>Baseline sd<input value={baseline.sd} onChange={(e) => setBaseline({ ...baseline, sd: e.target.value })} placeholder="from the listening data" /></label>
        </div>
        <p className="muted">80% power, α 0.05 two-sided, fixed horizon (sequential testing needs somewhat more).</p>
        {power.error && <p className="error" role="alert">{describeError(power.error)}</p>}
        {power.data && (
          <dl className="facts" data-testid="power">
            <dt>Baseline</dt><dd>{power.data.label}: mean {power.data.mean.toFixed(3)}, sd {power.data.sd.toFixed(3)}</dd>
            <dt>Users needed</dt><dd>{Number.isFinite(power.data.usersNeeded) ? power.data.usersNeeded.toLocaleString("en") : "∞"}</dd>
            <dt>Expected days</dt><dd>{power.data.expectedDays ?? "more than 28 at the recent listening"}</dd>
          </dl>
        )}
      </section>
    </div>
  );
}
