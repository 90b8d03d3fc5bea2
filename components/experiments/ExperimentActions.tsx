"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";
import styles from "./experiments.module.css";

/** Start, stop, ship a variant or decide none: operators and admins (the server checks again). */
export function ExperimentActions({
  experimentKey,
  status,
  reach,
  variants,
  warning,
}: {
  experimentKey: string;
  status: string;
  reach: string | null;
  variants: { key: string; versionId: number }[];
  warning: string | null;
}) {
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
      {warning && (
        <p className={styles.banner} data-testid="decision-warning">
          {warning}
        </p>
      )}
      <div className="toolbar">
        {status === "draft" && (
          <ActionButton
            primary
            label="Start"
            confirm={`Start ${experimentKey}? It reaches ${reach ?? "its allocation of the listeners"}; they are assigned from their next request.`}
            run={() => start.mutateAsync({ key: experimentKey })}
            doneText="Running."
          />
        )}
        {status === "running" && (
          <ActionButton
            label="Stop"
            confirm={`Stop ${experimentKey}? No more exposures; the results stay.`}
            run={() => stop.mutateAsync({ key: experimentKey })}
            doneText="Stopped."
          />
        )}
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
          <ActionButton
            label="Ship none"
            validate={noteProblem}
            confirm={`End ${experimentKey} without shipping a variant?${caution}`}
            run={() => decide.mutateAsync({ key: experimentKey, variant: null, note })}
            doneText="Decided: nothing shipped."
          />
        </div>
      )}
    </section>
  );
}

/** The demo: 7 rounds of the built-in simulator in real time, the champion against popularity; opens its run. */
export function DemoButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const demo = useMutation(trpc.experiments.demo.mutationOptions());
  return (
    <ActionButton
      label="Run a demo experiment"
      pendingLabel="Starting…"
      confirm="Run the champion against popularity for 7 demo days of the built-in simulator? A demo day is a round of a few seconds: its listeners ask this console for recommendations and play some (dated up to now, never later), then it is ingested and analysed. At the end the experiment is decided without shipping anything, so what is served does not change."
      run={() => demo.mutateAsync()}
      onDone={({ runId }) => router.push(`/runs/${runId}`)}
    />
  );
}

/** Runs the analyze job now (operators; the server checks the role) and opens its run. */
export function AnalyzeNowButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const analyze = useMutation(trpc.experiments.analyzeNow.mutationOptions());
  return <ActionButton label="Analyze now" pendingLabel="Starting…" run={() => analyze.mutateAsync()} onDone={({ runId }) => router.push(`/runs/${runId}`)} />;
}
