-- API keys of the serving API: only the SHA-256 of each key is stored.
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "rate_per_second" INTEGER NOT NULL DEFAULT 1000,
    "burst" INTEGER NOT NULL DEFAULT 2000,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by" TEXT,
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_token_hash_key" ON "api_keys"("token_hash");

CREATE TYPE "feedback_type" AS ENUM ('impression', 'play', 'skip', 'like', 'dislike');

-- Feedback from the app, idempotent by the app's event id.
CREATE TABLE "feedback_events" (
    "id" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "track_id" INTEGER NOT NULL,
    "type" "feedback_type" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "request_id" TEXT,
    "key_id" INTEGER,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "feedback_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "feedback_events_user_id_type_idx" ON "feedback_events"("user_id", "type");
CREATE INDEX "feedback_events_at_idx" ON "feedback_events"("at");
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;
