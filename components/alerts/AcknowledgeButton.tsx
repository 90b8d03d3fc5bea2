"use client";

import { useMutation } from "@tanstack/react-query";
import { useAction } from "@/components/layout/useAction";
import { useTRPC } from "@/components/trpc/client";

export function AcknowledgeAlertButton({ alertId }: { alertId: number }) {
  const trpc = useTRPC();
  const { done, failed, note } = useAction();
  const ack = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSuccess: () => done("Acknowledged."), onError: failed }));
  return (
    <span className="toolbar">
      <button type="button" disabled={ack.isPending} onClick={() => ack.mutate({ alertId })}>
        Acknowledge
      </button>
      {note}
    </span>
  );
}
