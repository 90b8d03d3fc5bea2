-- What a run's full read concluded about vanished records, held back until the run succeeds: a run
-- that fails its checks no longer hides rows from serving and training.
CREATE TABLE "source_vanished_pending" (
    "dataset" TEXT NOT NULL,
    "record_key" TEXT NOT NULL,
    "returned" BOOLEAN NOT NULL,
    "first_missed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "first_missed_run_id" INTEGER NOT NULL,
    "run_id" INTEGER NOT NULL,
    CONSTRAINT "source_vanished_pending_pkey" PRIMARY KEY ("dataset", "record_key")
);
