"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";

/** Start, stop, ship a variant or decide none: operators and admins (the server checks again). */
export function ExperimentActions({ experimentKey, status, variants, warning }: { experimentKey: string; status: string; variants: { key: string; versionId: number }[]; warning: string | null }) {
  const trpc = useTRPC();
  const start = useMutation(trpc.experiments.start.mutationOptions());
  const stop = useMutation(trpc.experiments.stop.mutationOptions());
  const decide = useMutation(trpc.experiments.decide.mutationOptions());
  const [note, setNote] = useState("");
  if (status === "decided") return null;
  const noteProblem = () => (note.trim().length < 3 ? "Note: say why, in a few words." : null);
  const caution = warning ? `\n\nWarning: ${warning}` : "";
  return (
    <section className="panel" aria-label="Decisions">
      <h2>Decisions</h2>
      {warning && <p className="error" role="alert">{warning}</p>}
      <div className="toolbar">
        {status === "draft" && <ActionButton primary label="Start" confirm={`Start ${experimentKey}? Listeners are assigned from their next request.`} run={() => start.mutateAsync({ key: experimentKey })} doneText="Running." />}
        {status === "running" && <ActionButton label="Stop" confirm={`Stop ${experimentKey}? No more exposures; the results stay.`} run={() => stop.mutateAsync({ key: experimentKey })} doneText="Stopped." />}
      </div>
      {(status === "running" || status === "stopped") && (
        <div className="form-row" role="form" aria-label="Decide">
          <label>
            Note
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} placeholder="why, for the audit log" />
          </label>
          {variants.map((v) => (
            <ActionButton
              key={v.key}
              label={`Ship ${v.key}`}
              confirm={`Ship ${v.key}? Version ${v.versionId} becomes the champion for every listener, and the experiment ends.${caution}`}
              validate={noteProblem}
              run={() => decide.mutateAsync({ key: experimentKey, variant: v.key, note })}
              doneText={`Shipped ${v.key}: version ${v.versionId} is the champion.`}
            />
          ))}
          <ActionButton label="Ship none" validate={noteProblem} confirm={`End ${experimentKey} without shipping a variant?${caution}`} run={() => decide.mutateAsync({ key: experimentKey, variant: null, note })} doneText="Decided: nothing shipped." />
        </div>
      )}
    </section>
  );
}

/** The demo: a week of the built-in simulator, the champion against popularity; opens its run. */
export function DemoButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const demo = useMutation(trpc.experiments.demo.mutationOptions());
  return (
    <ActionButton
      label="Run a demo experiment"
      pendingLabel="Starting…"
      confirm="Run the champion against popularity for 7 days of the built-in simulator? Its listeners ask this console for recommendations; each day is ingested and analysed."
      run={() => demo.mutateAsync()}
      onDone={({ runId }) => router.push(`/runs/${runId}`)}
    />
  );
}
