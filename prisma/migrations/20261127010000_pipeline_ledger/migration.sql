-- CreateEnum
CREATE TYPE "run_trigger" AS ENUM ('cron', 'console', 'cli', 'api');

-- CreateEnum
CREATE TYPE "run_status" AS ENUM ('queued', 'running', 'success', 'failed');

-- CreateEnum
CREATE TYPE "task_status" AS ENUM ('queued', 'running', 'success', 'failed', 'skipped');

-- CreateTable
CREATE TABLE "pipeline_runs" (
    "id" SERIAL NOT NULL,
    "pipeline" TEXT NOT NULL,
    "trigger" "run_trigger" NOT NULL,
    "idempotency_key" TEXT,
    "status" "run_status" NOT NULL,
    "triggered_by" TEXT,
    "params" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "error" TEXT,
    "cpu_ms" INTEGER,
    "peak_rss_bytes" BIGINT,

    CONSTRAINT "pipeline_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task_runs" (
    "id" SERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "task" TEXT NOT NULL,
    "try_number" INTEGER NOT NULL,
    "status" "task_status" NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "pages_done" INTEGER NOT NULL DEFAULT 0,
    "pages_total" INTEGER,
    "rows_fetched" INTEGER NOT NULL DEFAULT 0,
    "rows_inserted" INTEGER NOT NULL DEFAULT 0,
    "rows_updated" INTEGER NOT NULL DEFAULT 0,
    "rows_unchanged" INTEGER NOT NULL DEFAULT 0,
    "rows_rejected" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "logs" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "task_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quarantine" (
    "id" BIGSERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "dataset" TEXT NOT NULL,
    "reason_code" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "record_key" TEXT,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_run_id" INTEGER,

    CONSTRAINT "quarantine_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "pipeline_runs_pipeline_idempotency_key_key" ON "pipeline_runs"("pipeline", "idempotency_key");

-- CreateIndex
CREATE INDEX "pipeline_runs_pipeline_created_at_idx" ON "pipeline_runs"("pipeline", "created_at");

-- CreateIndex
CREATE INDEX "pipeline_runs_status_idx" ON "pipeline_runs"("status");

-- CreateIndex
CREATE UNIQUE INDEX "task_runs_run_id_task_try_number_key" ON "task_runs"("run_id", "task", "try_number");

-- CreateIndex
CREATE INDEX "quarantine_run_id_dataset_idx" ON "quarantine"("run_id", "dataset");

-- CreateIndex
CREATE INDEX "quarantine_reason_code_resolved_at_idx" ON "quarantine"("reason_code", "resolved_at");

-- AddForeignKey
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
