-- The natural keys of the valid records an ingest task read, one row per loaded batch (arrays, so
-- recording them costs the load next to nothing): reconciliation counts and checks them in SQL, so
-- the ingest job's memory no longer grows with the source.
CREATE TABLE "ingest_read_keys" (
    "seq" BIGSERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "dataset" TEXT NOT NULL,
    "try_number" INTEGER NOT NULL,
    "pass" INTEGER NOT NULL,
    "ids" INTEGER[],
    "created_ats" TIMESTAMPTZ(6)[],

    CONSTRAINT "ingest_read_keys_pkey" PRIMARY KEY ("seq")
);
