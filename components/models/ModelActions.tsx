"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";

/** Starts a train run now and opens it (operators and admins; the server checks again). */
export function TrainNowButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const train = useMutation(trpc.models.train.mutationOptions());
  return <ActionButton primary label="Train now" pendingLabel="Starting…" run={() => train.mutateAsync()} onDone={({ runId }) => router.push(`/runs/${runId}`)} />;
}

/**
 * Promote this version to champion, or roll the champion back to the one before: with a reason
 * (it goes to the audit log) and a confirmation.
 */
export function AliasForm({ versionId, mode }: { versionId: number; mode: "promote" | "rollback" }) {
  const trpc = useTRPC();
  const promote = useMutation(trpc.models.promote.mutationOptions());
  const rollback = useMutation(trpc.models.rollback.mutationOptions());
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
        confirm={`${label}? Every process serves the new champion from its next request.`}
        validate={() => (reason.trim().length < 3 ? "Reason: say why, in a few words." : null)}
        run={() => (mode === "promote" ? promote.mutateAsync({ versionId, reason }) : rollback.mutateAsync({ reason }))}
        doneText={mode === "promote" ? `Version ${versionId} is the champion.` : "Rolled back."}
      />
    </div>
  );
}
