-- Listens per track, kept as listen_history changes, so serving's catalogue reads one row per track
-- instead of unnesting every history at each refresh. Statement triggers with transition tables:
-- one set-based update per load, whatever its size (a transition table serves one event, hence three).
CREATE TABLE "track_listen_counts" (
    "track_id" INTEGER NOT NULL,
    "listens" BIGINT NOT NULL,

    CONSTRAINT "track_listen_counts_pkey" PRIMARY KEY ("track_id")
);

INSERT INTO "track_listen_counts" ("track_id", "listens")
SELECT item, count(*) FROM "listen_history" h, unnest(h."items") AS item GROUP BY item;

-- Sorted by track so that two loads at once lock the rows they share in the same order; an update
-- that leaves a history's items as they were writes nothing.
CREATE FUNCTION "track_listen_counts_on_insert"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "track_listen_counts" AS c ("track_id", "listens")
  SELECT item, count(*) FROM new_rows n, unnest(n."items") AS item GROUP BY item ORDER BY item
  ON CONFLICT ("track_id") DO UPDATE SET "listens" = c."listens" + EXCLUDED."listens";
  RETURN NULL;
END $$;

CREATE FUNCTION "track_listen_counts_on_update"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "track_listen_counts" AS c ("track_id", "listens")
  SELECT item, sum(delta) FROM (
    SELECT unnest(n."items") AS item, 1 AS delta FROM new_rows n
    UNION ALL SELECT unnest(o."items"), -1 FROM old_rows o
  ) d GROUP BY item HAVING sum(delta) <> 0 ORDER BY item
  ON CONFLICT ("track_id") DO UPDATE SET "listens" = c."listens" + EXCLUDED."listens";
  RETURN NULL;
END $$;

CREATE FUNCTION "track_listen_counts_on_delete"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "track_listen_counts" AS c ("track_id", "listens")
  SELECT item, -count(*) FROM old_rows o, unnest(o."items") AS item GROUP BY item ORDER BY item
  ON CONFLICT ("track_id") DO UPDATE SET "listens" = c."listens" + EXCLUDED."listens";
  RETURN NULL;
END $$;

CREATE TRIGGER "listen_history_counts_insert" AFTER INSERT ON "listen_history"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_on_insert"();
CREATE TRIGGER "listen_history_counts_update" AFTER UPDATE ON "listen_history"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_on_update"();
CREATE TRIGGER "listen_history_counts_delete" AFTER DELETE ON "listen_history"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_listen_counts_on_delete"();
