import { Cron } from "croner";
import type { Job } from "./types";

/** The scheduled slot a tick belongs to, so the same slot delivered twice gives the same run. */
export const slotKey = (job: Job, slot: Date) => `schedule:${job.name}:${slot.toISOString().slice(0, 16)}`;

/** The latest slot of a schedule at or before `now`: what a cron delivery at `now` stands for. */
export function currentSlot(expression: string, now = new Date()): Date {
  const cron = new Cron(expression, { timezone: "UTC", paused: true });
  return cron.previousRuns(1, new Date(now.getTime() + 1000))[0] ?? now;
}

/** How far back a cron delivery may name its slot (a scheduler catching up after an outage). */
export const SLOT_WINDOW_DAYS = 7;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The slot a cron delivery names (`?slot=`): an ISO instant with its zone that is a slot of the
 * schedule, within the last SLOT_WINDOW_DAYS and not ahead of now; anything else is an error to show.
 */
export function parseSlot(expression: string, raw: string, now = new Date()): { slot: Date } | { error: string } {
  const slot = ISO_INSTANT.test(raw) ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(slot.getTime()))
    return { error: `slot must be an ISO 8601 instant with its zone, e.g. 2026-12-01T02:00:00Z, not ${JSON.stringify(raw.slice(0, 40))}.` };
  if (slot.getTime() > now.getTime() + 60_000) return { error: `slot ${slot.toISOString()} is in the future.` };
  if (slot.getTime() < now.getTime() - SLOT_WINDOW_DAYS * 86_400_000) return { error: `slot ${slot.toISOString()} is more than ${SLOT_WINDOW_DAYS} days ago.` };
  if (currentSlot(expression, slot).getTime() !== slot.getTime())
    return { error: `slot ${slot.toISOString()} is not a time of the schedule "${expression}" (UTC).` };
  return { slot };
}
