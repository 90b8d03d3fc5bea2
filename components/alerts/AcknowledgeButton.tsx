"use client";

import { useMutation } from "@tanstack/react-query";
import { ActionButton } from "@/components/layout/ActionButton";
import { useTRPC } from "@/components/trpc/client";

export function AcknowledgeAlertButton({ alertId }: { alertId: number }) {
  const trpc = useTRPC();
  const ack = useMutation(trpc.alerts.acknowledge.mutationOptions());
  return <ActionButton label="Acknowledge" run={() => ack.mutateAsync({ alertId })} doneText="Acknowledged." />;
}
