import { setTimeout as sleep } from "node:timers/promises";
import type { Alert } from "../db/generated/client";

export type AlertEvent = "opened" | "recovered";

export interface Delivery {
  status: "delivered" | "failed" | "not_configured";
  attempts: number;
  error?: string;
}

const COLOURS: Record<string, string> = { error: "danger", warning: "warning", recovered: "good" };

/** A Slack-compatible message: `text` for people, `attachments[].fields` for structure, `encore` for machines. */
export function alertMessage(alert: Alert, event: AlertEvent, consoleUrl?: string) {
  const fields = Object.entries(alert.fields as Record<string, unknown>).map(([title, value]) => ({ title, value: String(value), short: String(value).length < 40 }));
  const prefix = event === "recovered" ? "Recovered" : alert.severity === "error" ? "Alert" : "Warning";
  return {
    text: `${prefix}: ${alert.title}${event === "recovered" ? "" : ` (${alert.detail})`}`,
    attachments: [
      {
        color: COLOURS[event === "recovered" ? "recovered" : alert.severity] ?? "warning",
        fields: [...fields, { title: "opened", value: alert.openedAt.toISOString(), short: true }, ...(consoleUrl ? [{ title: "console", value: `${consoleUrl}/alerts`, short: false }] : [])],
      },
    ],
    encore: { alertId: alert.id, incidentKey: alert.incidentKey, kind: alert.kind, severity: alert.severity, event, runId: alert.runId },
  };
}

/** POSTs the message, retrying with backoff; never throws: the outcome is recorded instead. */
export async function deliver(url: string | undefined, body: unknown, attempts = 3, baseDelayMs = 500): Promise<Delivery> {
  if (!url) return { status: "not_configured", attempts: 0 };
  let error = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      if (response.ok) return { status: "delivered", attempts: attempt };
      error = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (attempt < attempts) await sleep(baseDelayMs * 2 ** (attempt - 1));
  }
  return { status: "failed", attempts, error };
}
