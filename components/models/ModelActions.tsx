"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";

/**
 * Starts a train run now and opens it (operators and admins; the server checks again). A run on data
 * already trained with the same code and seed is skipped as "nothing new" unless forced.
 */
export function TrainNowButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const train = useMutation(trpc.models.train.mutationOptions());
  const [force, setForce] = useState(false);
  return (
    <span className="toolbar">
      <label
        style={{ display: "inline-flex", alignItems: "center", gap: 4 }}
        title="Train even when the data, code and seed are those of an earlier run (its versions would repeat)"
      >
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
        Even if nothing is new
      </label>
      <ActionButton
        primary
        label="Train now"
        pendingLabel="Starting…"
        run={() => train.mutateAsync({ force })}
        onDone={({ runId }) => router.push(`/runs/${runId}`)}
      />
    </span>
  );
}

/** Who gets the new champion: listeners inside running experiments keep their variant until it is decided. */
function keptText(kept: { key: string; allocation: number; exposed: number }[] | undefined): string {
  if (kept === undefined) return "Every process serves the new champion from its next request, except to listeners inside running experiments.";
  if (kept.length === 0) return "No experiment is running: every process serves the new champion to every listener from its next request.";
  const each = kept.map((k) => `${k.key} takes in up to ${Math.round(k.allocation * 1000) / 10}% of listeners (${k.exposed} exposed so far)`).join("; ");
  const everyone = kept.find((k) => k.allocation >= 1);
  return `Listeners inside running experiments keep their variant until the experiment is decided: ${each}. ${everyone ? `While ${everyone.key} runs, no listener who asks gets the new champion.` : "Every other listener gets the new champion from their next request."}`;
}

/**
 * Promote this version to champion, or roll the champion back to the one before: with a reason
 * (it goes to the audit log) and a confirmation.
 */
export function AliasForm({ versionId, mode }: { versionId: number; mode: "promote" | "rollback" }) {
  const trpc = useTRPC();
  const promote = useMutation(trpc.models.promote.mutationOptions());
  const rollback = useMutation(trpc.models.rollback.mutationOptions());
  const kept = useQuery(trpc.experiments.kept.queryOptions());
  const [reason, setReason] = useState("");
  const label = mode === "promote" ? `Promote version ${versionId} to champion` : "Roll back to the previous champion";
  return (
    <div className="form-row" role="form" aria-label={mode === "promote" ? "Promote" : "Roll back"}>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} placeholder="why, for the audit log" />
      </label>
      <ActionButton
        label={label}
        confirm={`${label}? ${keptText(kept.data)}`}
        validate={() => (reason.trim().length < 3 ? "Reason: say why, in a few words." : null)}
        run={() => (mode === "promote" ? promote.mutateAsync({ versionId, reason }) : rollback.mutateAsync({ reason }))}
        doneText={mode === "promote" ? `Version ${versionId} is the champion.` : "Rolled back."}
      />
    </div>
  );
}
