-- An event's id is the app's own: unique per API key that sent it (0: a console session), not across
-- all keys, where another key's "e-1" was taken for a duplicate and silently dropped.
ALTER TABLE "feedback_events" ADD COLUMN "sender" INTEGER NOT NULL DEFAULT 0;
UPDATE "feedback_events" SET "sender" = "key_id" WHERE "key_id" IS NOT NULL;
ALTER TABLE "feedback_events" DROP CONSTRAINT "feedback_events_pkey";
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_pkey" PRIMARY KEY ("sender", "id");

-- A listener's disliked tracks are read on every request by skipping through this index, one step
-- per distinct track, however many dislike events they have (400,000 made each answer 0.4-1 s).
DROP INDEX "feedback_events_user_id_type_idx";
CREATE INDEX "feedback_events_user_id_type_track_id_idx" ON "feedback_events"("user_id", "type", "track_id");
