import { setTimeout as sleep } from "node:timers/promises";
import type { Alert } from "../db/generated/client";
import { redactSecrets } from "../lib/redact";

export type AlertEvent = "opened" | "recovered";

export interface Delivery {
  status: "delivered" | "failed" | "not_configured";
  attempts: number;
  error?: string;
}

const COLOURS: Record<string, string> = { error: "danger", warning: "warning", recovered: "good" };

const MAX_TEXT = 500;
const MAX_FIELD = 300;

/**
 * Text from elsewhere (a source's error body, a run's error) as Slack shows it literally: `&`, `<`
 * and `>` escaped as Slack asks, so `<!channel>` or `<http://x|click here>` stay plain text;
 * credentials taken out; cut to `max` characters.
 */
function slackText(value: string, max: number): string {
  const plain = redactSecrets(value);
  const cut = plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
  return cut.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A Slack-compatible message: `text` for people, `attachments[].fields` for structure, `encore` for machines. */
export function alertMessage(alert: Alert, event: AlertEvent, consoleUrl?: string) {
  const fields = Object.entries(alert.fields as Record<string, unknown>).map(([title, value]) => {
    const shown = slackText(String(value), MAX_FIELD);
    return { title: slackText(title, 100), value: shown, short: shown.length < 40 };
  });
  const prefix = event === "recovered" ? "Recovered" : alert.severity === "error" ? "Alert" : "Warning";
  return {
    text: slackText(`${prefix}: ${alert.title}${event === "recovered" ? "" : ` (${alert.detail})`}`, MAX_TEXT),
    attachments: [
      {
        color: COLOURS[event === "recovered" ? "recovered" : alert.severity] ?? "warning",
        fields: [
          ...fields,
          { title: "opened", value: alert.openedAt.toISOString(), short: true },
          ...(consoleUrl ? [{ title: "console", value: `${consoleUrl}/alerts`, short: false }] : []),
        ],
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
