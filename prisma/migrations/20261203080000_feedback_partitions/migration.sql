-- Feedback events become a table partitioned by the month of `at` (native range partitioning), so
-- old months leave by dropping a partition (`feedback-partitions` task, FEEDBACK_KEEP_DAYS) instead
-- of a DELETE and a vacuum over an ever-growing table. Months without a partition land in the
-- default partition until that task gives them one.

-- A listener's dislikes outlive the events that said them: serving reads them here (one index range
-- per request), kept by a trigger on every insert, whoever writes the events.
CREATE TABLE "listener_dislikes" (
    "user_id" INTEGER NOT NULL,
    "track_id" INTEGER NOT NULL,
    "disliked_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "listener_dislikes_pkey" PRIMARY KEY ("user_id", "track_id")
);
INSERT INTO "listener_dislikes" ("user_id", "track_id", "disliked_at")
SELECT "user_id", "track_id", min("at") FROM "feedback_events" WHERE "type" = 'dislike' GROUP BY 1, 2;

ALTER TABLE "feedback_events" RENAME TO "feedback_events_unpartitioned";
ALTER TABLE "feedback_events_unpartitioned" DROP CONSTRAINT "feedback_events_pkey";
ALTER TABLE "feedback_events_unpartitioned" DROP CONSTRAINT "feedback_events_key_id_fkey";
DROP INDEX "feedback_events_user_id_type_track_id_idx";
DROP INDEX "feedback_events_at_idx";

-- A partitioned table's unique key must hold the partition key: an id is refused again by the
-- insert's own check across months (server/serving/events.ts), and by this key for the same `at`.
CREATE TABLE "feedback_events" (
    "id" TEXT NOT NULL,
    "sender" INTEGER NOT NULL DEFAULT 0,
    "user_id" INTEGER NOT NULL,
    "track_id" INTEGER NOT NULL,
    "type" "feedback_type" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "request_id" TEXT,
    "key_id" INTEGER,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "feedback_events_pkey" PRIMARY KEY ("sender", "id", "at")
) PARTITION BY RANGE ("at");
-- Dislikes are read from listener_dislikes now; the analysis reads a range of listeners over time.
CREATE INDEX "feedback_events_user_id_at_idx" ON "feedback_events"("user_id", "at");
CREATE INDEX "feedback_events_at_idx" ON "feedback_events"("at");
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE TABLE "feedback_events_default" PARTITION OF "feedback_events" DEFAULT;

-- The partition of the UTC month holding `at` (made if missing, taking that month's rows out of the
-- default partition); its name. One maker at a time; inserts into the default wait meanwhile.
CREATE FUNCTION "feedback_events_partition"(moment TIMESTAMPTZ) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  low TIMESTAMPTZ := date_trunc('month', moment, 'UTC');
  high TIMESTAMPTZ := (date_trunc('month', moment, 'UTC') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
  name TEXT := 'feedback_events_' || to_char(low AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(format('%I', name)) IS NOT NULL THEN RETURN name; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('feedback_events_partition'));
  IF to_regclass(format('%I', name)) IS NOT NULL THEN RETURN name; END IF;
  LOCK TABLE "feedback_events_default" IN SHARE ROW EXCLUSIVE MODE;
  EXECUTE format('CREATE TABLE %I (LIKE "feedback_events" INCLUDING DEFAULTS)', name);
  EXECUTE format('WITH moved AS (DELETE FROM "feedback_events_default" WHERE "at" >= $1 AND "at" < $2 RETURNING *) INSERT INTO %I SELECT * FROM moved', name)
    USING low, high;
  EXECUTE format('ALTER TABLE "feedback_events" ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, low, high);
  RETURN name;
END $$;

-- A partition for every month the events span, and for this month and the next two.
SELECT "feedback_events_partition"(m)
  FROM (SELECT DISTINCT date_trunc('month', "at", 'UTC') AS m FROM "feedback_events_unpartitioned"
        UNION SELECT (date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC' + make_interval(months => n)) AT TIME ZONE 'UTC' FROM generate_series(0, 2) n) months;
INSERT INTO "feedback_events" ("id", "sender", "user_id", "track_id", "type", "at", "request_id", "key_id", "received_at")
SELECT "id", "sender", "user_id", "track_id", "type", "at", "request_id", "key_id", "received_at" FROM "feedback_events_unpartitioned";
DROP TABLE "feedback_events_unpartitioned";

CREATE FUNCTION "listener_dislikes_added"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  -- Sorted, so that two writers at once lock the keys they share in the same order.
  INSERT INTO "listener_dislikes" ("user_id", "track_id", "disliked_at")
  SELECT "user_id", "track_id", min("at") FROM new_rows WHERE "type" = 'dislike' GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("user_id", "track_id") DO UPDATE SET "disliked_at" = least("listener_dislikes"."disliked_at", EXCLUDED."disliked_at");
  RETURN NULL;
END $$;
CREATE TRIGGER "feedback_events_dislikes" AFTER INSERT ON "feedback_events"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "listener_dislikes_added"();
