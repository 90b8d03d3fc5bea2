import { findJob } from "@/server/jobs/registry";
import { currentSlot, parseSlot, slotKey } from "@/server/jobs/slots";
import { hasBearer } from "@/server/auth/bearer";
import { env } from "@/server/config/env";
import { database } from "@/server/db/client";
import { triggerJob } from "@/server/jobs/trigger";

export const dynamic = "force-dynamic";

const answer = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

/**
 * A scheduler's tick: `Authorization: Bearer $CRON_SECRET`. The run stands for the schedule's slot
 * (`?slot=<ISO instant>`, one of the last 7 days, or the latest slot now), so a slot delivered twice gives the same run.
 */
async function handler(request: Request, { params }: { params: Promise<{ job: string }> }) {
  if (!hasBearer(request.headers.get("authorization"), env().CRON_SECRET)) {
    return answer(401, { error: "Missing or wrong bearer token: send Authorization: Bearer $CRON_SECRET." });
  }
  const job = findJob((await params).job);
  const schedule = job?.schedule;
  if (!job || !schedule) return answer(404, { error: "No such scheduled job." });
  const rawSlot = new URL(request.url).searchParams.get("slot");
  const named = rawSlot === null ? { slot: currentSlot(schedule(env())) } : parseSlot(schedule(env()), rawSlot);
  if ("error" in named) return answer(400, { error: named.error });
  const { slot } = named;
  const outcome = await triggerJob(job, { database, env: env() }, { trigger: "cron", idempotencyKey: slotKey(job, slot), triggeredBy: "cron route" });
  if (outcome.kind === "busy") return answer(409, { error: outcome.error.message, runId: outcome.error.runId });
  const { run, deduped } = outcome;
  return answer(deduped ? 200 : 202, { runId: run.id, status: run.status, deduped, slot: slot.toISOString() });
}

export { handler as GET, handler as POST };
