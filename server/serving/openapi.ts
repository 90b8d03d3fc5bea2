import { createDocument } from "zod-openapi";
import { z } from "zod";
import { resultsSchema } from "../experiments/results-schema";
import { errorSchema, experimentKeyParam, eventsAcceptedSchema, eventsBatchSchema, recommendationsQuery, recommendationsSchema, similarQuery, similarSchema, trackIdParam, userIdParam } from "./schemas";

const json = (schema: z.ZodType) => ({ "application/json": { schema } });
const failure = (description: string) => ({ description, content: json(errorSchema) });

const common = {
  "401": failure("No API key, or one that is unknown or revoked."),
  "403": failure("The key lacks the scope this operation needs."),
  "429": { ...failure("Over the key's rate limit: try again after `Retry-After` seconds."), headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" as const } } } },
  "503": failure("The database cannot be reached; try again after `Retry-After` seconds."),
};

/** The serving API's OpenAPI 3.1 document, generated from the schemas that validate its requests. */
export function openApiDocument(serverUrl: string) {
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "Encore serving API",
      version: "1.0.0",
      description: "Per-listener recommendations and feedback events for the MooVitamix app. Send `Authorization: Bearer <API key>`; keys are made by admins in the console (Settings → API keys) or with `npm run apikey -- create`.",
    },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An Encore API key (ek_…)." } } },
    security: [{ apiKey: [] }],
    paths: {
      "/users/{userId}/recommendations": {
        get: {
          operationId: "recommendationsForUser",
          summary: "A listener's recommendations (scope recommendations:read)",
          description: "From the champion (or popularity when it cannot be read: `fallback`). Never a track the listener heard or disliked, or one no longer in the catalogue. A listener Encore does not know yet gets popular tracks (`coldStart`).",
          requestParams: { path: z.object({ userId: userIdParam }), query: recommendationsQuery },
          responses: { "200": { description: "The top k.", content: json(recommendationsSchema) }, "400": failure("A parameter is invalid; `fields` says which."), ...common },
        },
      },
      "/tracks/{trackId}/similar": {
        get: {
          operationId: "similarTracks",
          summary: "More like this (scope recommendations:read)",
          requestParams: { path: z.object({ trackId: trackIdParam }), query: similarQuery },
          responses: { "200": { description: "The k most similar tracks.", content: json(similarSchema) }, "400": failure("A parameter is invalid."), "404": failure("No such track in the catalogue."), ...common },
        },
      },
      "/experiments/{key}/results": {
        get: {
          operationId: "experimentResults",
          summary: "An experiment's latest results (scope experiments:read)",
          description: "The results document of the latest analysis (the analyze pipeline keeps one per day); computed now when none is stored yet.",
          requestParams: { path: z.object({ key: experimentKeyParam }) },
          responses: { "200": { description: "The results.", content: json(resultsSchema) }, "400": failure("The key is not a valid experiment key."), "404": failure("No such experiment."), ...common },
        },
      },
      "/events": {
        post: {
          operationId: "recordEvents",
          summary: "Feedback events, up to 1,000 a request (scope events:write)",
          description: "Idempotent by event id, per API key (another key's ids are its own). Every track must be in the catalogue, else the batch is refused whole. A dislike removes the track from the listener's recommendations from then on.",
          requestBody: { required: true, content: json(eventsBatchSchema) },
          responses: {
            "202": { description: "Stored.", content: json(eventsAcceptedSchema) },
            "400": failure("The body is not JSON."),
            "413": failure("The body is over 1 MB."),
            "415": failure("The body is not application/json."),
            "422": failure("An event is invalid or names a track not in the catalogue; nothing was stored. `fields` names each one (e.g. `events.3.at`, `events.5.trackId`)."),
            ...common,
          },
        },
      },
    },
  });
}
