import { createDocument } from "zod-openapi";
import type { z } from "zod";
import type { DeclaredOperation } from "./rest";
import { errorSchema } from "./schemas";

export const jsonContent = (schema: z.ZodType) => ({ "application/json": { schema } });
export const failure = (description: string) => ({ description, content: jsonContent(errorSchema) });

/** What every authenticated operation may answer besides its own outcomes. */
export const COMMON_FAILURES = {
  "401": failure("No API key, or one that is unknown or revoked."),
  "403": failure("The key lacks the scope this operation needs."),
  "429": {
    ...failure("Over the key's rate limit: try again after `Retry-After` seconds."),
    headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" as const } } },
  },
  "503": failure("The database cannot be reached; try again after `Retry-After` seconds."),
};

/** The serving API's OpenAPI 3.1 document, generated from the operations' declarations (the schemas that validate their requests). */
export function openApiDocument(serverUrl: string, operations: DeclaredOperation[]) {
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "Encore serving API",
      version: "1.0.0",
      description:
        "Per-listener recommendations and feedback events for the MooVitamix app. Send `Authorization: Bearer <API key>`; keys are made by admins in the console (Settings → API keys) or with `npm run apikey -- create`.",
    },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An Encore API key (ek_…)." } } },
    security: [{ apiKey: [] }],
    paths: Object.fromEntries(
      [...new Set(operations.filter((op) => op.doc).map((op) => op.path))].map((path) => [
        path,
        Object.fromEntries(
          operations
            .filter((op) => op.doc && op.path === path)
            .map((op) => [
              op.method.toLowerCase(),
              {
                ...op.doc!,
                ...(op.params || op.query ? { requestParams: { ...(op.params ? { path: op.params } : {}), ...(op.query ? { query: op.query } : {}) } } : {}),
                ...(op.body ? { requestBody: { required: true, content: jsonContent(op.body) } } : {}),
              },
            ]),
        ),
      ]),
    ),
  });
}
