import { randomUUID } from "node:crypto";
import type { Catalogue } from "./catalogue";

/** Where the simulated app asks for recommendations: Encore's REST API and a key with recommendations:read and events:write. */
export interface RecommenderClient {
  url: string;
  apiKey: string;
  /** share of listeners who open the app each day */
  dailyShare?: number;
  /** tracks asked for each time */
  k?: number;
}

const CONCURRENCY = 8;
const EVENTS_PER_REQUEST = 1000;

/**
 * The simulated app's day: each active listener asks Encore for recommendations, plays each with a
 * chance that rises with their true taste, and the app reports impressions, plays and skips. The
 * plays become that day's listening (the caller passes them to the catalogue). A failed request
 * leaves that listener without recommendations that day, as an app would.
 */
export async function recommendedPlays(
  catalogue: Catalogue,
  client: RecommenderClient,
): Promise<{ plays: Map<number, number[]>; asked: number; failed: number }> {
  const listeners = catalogue.activeListeners(client.dailyShare ?? 0.2);
  const plays = new Map<number, number[]>();
  const events: unknown[] = [];
  let failed = 0;
  let next = 0;
  const headers = { authorization: `Bearer ${client.apiKey}` };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < listeners.length) {
        const userId = listeners[next++]!;
        const response = await fetch(`${client.url}/api/v1/users/${userId}/recommendations?k=${client.k ?? 10}`, { headers }).catch(() => null);
        if (!response?.ok) {
          failed++;
          continue;
        }
        const answer = (await response.json()) as { requestId: string; items: { trackId: number }[] };
        // After the answer, so never before the exposure Encore recorded for it.
        const at = new Date().toISOString();
        const played: number[] = [];
        for (const { trackId } of answer.items) {
          const play = catalogue.playsRecommended(userId, trackId);
          if (play) played.push(trackId);
          events.push({ id: randomUUID(), userId, trackId, type: "impression", at, requestId: answer.requestId });
          events.push({ id: randomUUID(), userId, trackId, type: play ? "play" : "skip", at, requestId: answer.requestId });
        }
        plays.set(userId, played);
      }
    }),
  );
  for (let i = 0; i < events.length; i += EVENTS_PER_REQUEST) {
    await fetch(`${client.url}/api/v1/events`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ events: events.slice(i, i + EVENTS_PER_REQUEST) }),
    }).catch(() => null);
  }
  return { plays, asked: listeners.length, failed };
}
