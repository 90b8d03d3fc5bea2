"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";

/** Starts an ingestion run now and opens it (operators and admins; the server checks again). */
export function TriggerRunButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const trigger = useMutation(trpc.ingestion.trigger.mutationOptions());
  return (
    <ActionButton
      primary
      label="Run ingestion now"
      pendingLabel="Starting…"
      run={() => trigger.mutateAsync()}
      onDone={({ runId }) => router.push(`/runs/${runId}`)}
    />
  );
}

export function RetryRunButton({ runId }: { runId: number }) {
  const trpc = useTRPC();
  const retry = useMutation(trpc.runs.retry.mutationOptions());
  return <ActionButton label="Retry failed tasks" run={() => retry.mutateAsync({ runId })} doneText="Retrying the failed tasks…" />;
}

export function CancelRunButton({ runId }: { runId: number }) {
  const trpc = useTRPC();
  const cancel = useMutation(trpc.runs.cancel.mutationOptions());
  return (
    <ActionButton
      label="Cancel run"
      confirm={`Cancel run ${runId}?`}
      run={() => cancel.mutateAsync({ runId })}
      doneText="Cancel asked: tasks stop at their next page."
    />
  );
}
