-- A load that sets `encore.listen_counts = 'deferred'` (the ingest task's batches) appends each
-- statement's changes to track_listen_count_deltas, folded into track_listen_counts once per task:
-- upserting every track a 50,000-history batch names was 1.4 s of that batch's 2.5 s at 500,000
-- tracks. Other writers (a listener's cascade, a repair by hand) still update the counts at once.
CREATE TABLE "track_listen_count_deltas" (
    "track_id" INTEGER NOT NULL,
    "delta" BIGINT NOT NULL
);

-- One function for the three events: each query is planned only when its event runs it, and a
-- transition table is visible to EXECUTE as to static SQL.
CREATE FUNCTION "track_listen_counts_changed"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  changes text := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT item, count(*) FROM new_rows n, unnest(n."items") AS item GROUP BY item'
    WHEN 'DELETE' THEN 'SELECT item, -count(*) FROM old_rows o, unnest(o."items") AS item GROUP BY item'
    ELSE 'SELECT item, sum(delta) FROM (SELECT unnest(n."items") AS item, 1 AS delta FROM new_rows n
            UNION ALL SELECT unnest(o."items"), -1 FROM old_rows o) d GROUP BY item HAVING sum(delta) <> 0'
  END;
BEGIN
  IF current_setting('encore.listen_counts', true) = 'deferred' THEN
    EXECUTE 'INSERT INTO "track_listen_count_deltas" ("track_id", "delta") ' || changes;
  ELSE
    -- Sorted by track so that two writers at once lock the rows they share in the same order.
    EXECUTE 'INSERT INTO "track_listen_counts" AS c ("track_id", "listens") SELECT * FROM (' || changes || ') d ORDER BY 1
             ON CONFLICT ("track_id") DO UPDATE SET "listens" = c."listens" + EXCLUDED."listens"';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER "listen_history_counts_insert" ON "listen_history";
DROP TRIGGER "listen_history_counts_update" ON "listen_history";
DROP TRIGGER "listen_history_counts_delete" ON "listen_history";
DROP FUNCTION "track_listen_counts_on_insert"();
DROP FUNCTION "track_listen_counts_on_update"();
DROP FUNCTION "track_listen_counts_on_delete"();

CREATE TRIGGER "listen_history_counts_insert" AFTER INSERT ON "listen_history"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_changed"();
CREATE TRIGGER "listen_history_counts_update" AFTER UPDATE ON "listen_history"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_changed"();
CREATE TRIGGER "listen_history_counts_delete" AFTER DELETE ON "listen_history"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_changed"();
