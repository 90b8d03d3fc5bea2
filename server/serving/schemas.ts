import "zod-openapi";
import { z } from "zod";
import { INT4_MAX } from "../db/limits";

// One set of schemas validates REST requests, tRPC inputs and describes both in the OpenAPI document.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const printable = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

/**
 * An integer that arrives as text (path and query values) or as a number (tRPC): text must be decimal
 * digits only, where Number() also took `0x10`, `0b11`, `1e3`, `+1`, `1.0`, `true` and `[5]`.
 * Documented as the integer it becomes.
 */
const decimal = (min: number, max: number, meta: { description: string; example: number }, fallback?: number) =>
  z
    .union([z.number(), z.string()])
    .transform((value) => (typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : value))
    .pipe(z.number("must be a whole number in decimal digits").int().min(min).max(max))
    .meta({
      ...meta,
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.anyOf;
        Object.assign(jsonSchema, { type: "integer", minimum: min, maximum: max }, fallback === undefined ? {} : { default: fallback });
      },
    });

/** Ids are PostgreSQL integers. */
const id = (description: string) => decimal(1, INT4_MAX, { description, example: 42 });

export const userIdParam = id("The listener's id in the MooVitamix app.");
export const experimentKeyParam = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,62}$/, "an experiment key: 2 to 63 lower-case letters, digits, - and _")
  .meta({ description: "The experiment's key.", example: "hybrid-vs-popularity" });
export const trackIdParam = id("A track's id in the MooVitamix catalogue.");

export const MAX_K = 100;
const MAX_EVENTS_PER_BATCH = 1000;

export const recommendationsQuery = z.object({
  k: decimal(1, MAX_K, { description: "How many tracks (1 to 100).", example: 20 }, 20).default(20),
  genre: z
    .string()
    .min(1)
    .max(100)
    .refine(printable, "must not contain control characters")
    .optional()
    .meta({ description: "Only tracks of this genre (case does not matter).", example: "Rock" }),
});

export const similarQuery = z.object({
  k: decimal(1, MAX_K, { description: "How many tracks (1 to 100).", example: 10 }, 10).default(10),
});

export const forUserInput = recommendationsQuery.extend({ userId: userIdParam });
export const similarInput = similarQuery.extend({ trackId: trackIdParam });

const modelRef = z
  .object({ version: z.number().int().meta({ description: "Registry version id." }), family: z.string().meta({ example: "hybrid" }) })
  .nullable()
  .meta({ id: "ModelRef", description: "The registry version that ranked the tracks; null when no model could be read (popularity answered)." });

const reasonSchema = z
  .object({
    kind: z.enum(["history", "genre", "popular"]),
    text: z.string().meta({ example: "Because you listened to Hey Jude and Let It Be" }),
    trackIds: z.array(z.number().int()).meta({ description: "The listener's tracks the recommendation comes from (kind history)." }),
  })
  .meta({ id: "Reason" });

const trackFields = {
  trackId: z.number().int(),
  rank: z.number().int().min(1),
  score: z.number(),
  name: z.string(),
  artist: z.string(),
  genres: z.array(z.string()),
};

export const recommendationsSchema = z
  .object({
    userId: z.number().int(),
    requestId: z.string().meta({ description: "Send it back with the feedback events this answer leads to." }),
    model: modelRef,
    coldStart: z.boolean().meta({ description: "The listener has no listening yet: popular tracks (in their favourite genres when known)." }),
    fallback: z.boolean().meta({ description: "The model could not be read; popular tracks answered instead." }),
    experiment: z.object({ key: z.string(), variant: z.string() }).nullable().meta({
      id: "ExperimentAssignment",
      description: "The running experiment the listener is in and their variant, whose model answered; null when in none.",
    }),
    items: z.array(z.object({ ...trackFields, reason: reasonSchema }).meta({ id: "RecommendedTrack" })),
  })
  .meta({ id: "Recommendations" });

export const similarSchema = z
  .object({
    trackId: z.number().int(),
    requestId: z.string(),
    model: modelRef,
    fallback: z.boolean(),
    items: z.array(z.object(trackFields).meta({ id: "SimilarTrack" })),
  })
  .meta({ id: "SimilarTracks" });

const FEEDBACK_TYPES = ["impression", "play", "skip", "like", "dislike"] as const;
const EARLIEST_EVENT = Date.UTC(2000, 0, 1);
const FUTURE_SLACK_MS = 24 * 3600 * 1000;

const feedbackEventSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, "must be 1 to 128 visible ASCII characters")
      .meta({
        description: "The app's own id for the event, unique per API key: an event the key sends again with the same id is stored once.",
        example: "0b6f3f0e-5d1c-4b53-9a43-0c5a1b7c2e10",
      }),
    userId: userIdParam,
    trackId: trackIdParam,
    type: z.enum(FEEDBACK_TYPES).meta({ description: "A dislike keeps the track out of the listener's recommendations from then on." }),
    at: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) >= EARLIEST_EVENT && Date.parse(at) <= Date.now() + FUTURE_SLACK_MS, "must be after 2000 and at most a day ahead")
      .meta({ description: "When it happened (ISO 8601 with a zone).", example: "2026-11-27T10:15:00Z" }),
    requestId: z
      .string()
      .min(1)
      .max(128)
      .refine(printable, "must not contain control characters")
      .optional()
      .meta({ description: "The `requestId` of the answer that showed the track." }),
  })
  .meta({ id: "FeedbackEvent" });

export const eventsBatchSchema = z.object({ events: z.array(feedbackEventSchema).min(1).max(MAX_EVENTS_PER_BATCH) }).meta({ id: "FeedbackEvents" });
export type FeedbackEventInput = z.infer<typeof feedbackEventSchema>;

export const eventsAcceptedSchema = z
  .object({
    accepted: z.number().int().meta({ description: "Events stored now." }),
    duplicates: z.number().int().meta({ description: "Events already stored (same id), left as they were." }),
  })
  .meta({ id: "EventsAccepted" });

export const ERROR_CODES = [
  "BAD_REQUEST",
  "UNPROCESSABLE",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      fields: z
        .record(z.string(), z.array(z.string()))
        .optional()
        .meta({ description: "For 400 and 422: each field at fault (a dotted path) and what is wrong with it." }),
    }),
  })
  .meta({ id: "Error" });
