"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useAction } from "@/components/layout/useAction";
import { useTRPC } from "@/components/trpc/client";

/** Starts an ingestion run now (operators and admins; the server checks again). */
export function TriggerRunButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const { failed, note } = useAction();
  const trigger = useMutation(
    trpc.ingestion.trigger.mutationOptions({
      onSuccess: ({ runId }) => router.push(`/runs/${runId}`),
      onError: failed,
    }),
  );
  return (
    <span className="toolbar">
      <button className="primary" type="button" disabled={trigger.isPending} onClick={() => trigger.mutate()}>
        {trigger.isPending ? "Starting…" : "Run ingestion now"}
      </button>
      {note}
    </span>
  );
}

export function RetryRunButton({ runId }: { runId: number }) {
  const trpc = useTRPC();
  const { done, failed, note } = useAction();
  const retry = useMutation(trpc.runs.retry.mutationOptions({ onSuccess: () => done("Retrying the failed tasks…"), onError: failed }));
  return (
    <span className="toolbar">
      <button type="button" disabled={retry.isPending} onClick={() => retry.mutate({ runId })}>
        Retry failed tasks
      </button>
      {note}
    </span>
  );
}

export function CancelRunButton({ runId }: { runId: number }) {
  const trpc = useTRPC();
  const { done, failed, note } = useAction();
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onSuccess: () => done("Cancel asked: tasks stop at their next page."), onError: failed }));
  return (
    <span className="toolbar">
      <button type="button" disabled={cancel.isPending} onClick={() => window.confirm(`Cancel run ${runId}?`) && cancel.mutate({ runId })}>
        Cancel run
      </button>
      {note}
    </span>
  );
}
