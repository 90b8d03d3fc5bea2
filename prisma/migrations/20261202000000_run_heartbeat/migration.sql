-- A run's last sign of life and where it runs, so any process can tell a dead run from a live one.
ALTER TABLE "pipeline_runs" ADD COLUMN "heartbeat_at" TIMESTAMPTZ(3);
ALTER TABLE "pipeline_runs" ADD COLUMN "host" TEXT;
ALTER TABLE "pipeline_runs" ADD COLUMN "pid" INTEGER;
