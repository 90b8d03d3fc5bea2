-- CreateEnum
CREATE TYPE "check_level" AS ENUM ('ok', 'warn', 'error');

-- CreateEnum
CREATE TYPE "alert_state" AS ENUM ('open', 'acknowledged', 'resolved');

-- AlterTable
ALTER TABLE "pipeline_runs" ADD COLUMN "cancel_requested_by" TEXT;

-- CreateTable
CREATE TABLE "check_results" (
    "id" SERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "check" TEXT NOT NULL,
    "dataset" TEXT NOT NULL DEFAULT '',
    "level" "check_level" NOT NULL,
    "measured" JSONB NOT NULL,
    "message" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "check_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" SERIAL NOT NULL,
    "incident_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "fields" JSONB NOT NULL DEFAULT '{}',
    "state" "alert_state" NOT NULL,
    "run_id" INTEGER,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_notifications" (
    "id" SERIAL NOT NULL,
    "alert_id" INTEGER NOT NULL,
    "event" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "alert_notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scheduler_heartbeats" (
    "name" TEXT NOT NULL,
    "beat_at" TIMESTAMPTZ(3) NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,

    CONSTRAINT "scheduler_heartbeats_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "pipeline_runs_created_at_idx" ON "pipeline_runs"("created_at");

-- CreateIndex
CREATE INDEX "task_runs_task_status_idx" ON "task_runs"("task", "status");

-- CreateIndex
CREATE UNIQUE INDEX "check_results_run_id_check_dataset_key" ON "check_results"("run_id", "check", "dataset");

-- CreateIndex
CREATE INDEX "check_results_check_dataset_created_at_idx" ON "check_results"("check", "dataset", "created_at");

-- CreateIndex
CREATE INDEX "alerts_state_opened_at_idx" ON "alerts"("state", "opened_at");

-- CreateIndex
CREATE INDEX "alerts_incident_key_state_idx" ON "alerts"("incident_key", "state");

-- Only one incident of a kind is open (or acknowledged) at a time: concurrent evaluations cannot open two.
CREATE UNIQUE INDEX "alerts_one_open_incident" ON "alerts"("incident_key") WHERE "state" <> 'resolved';

-- AddForeignKey
ALTER TABLE "check_results" ADD CONSTRAINT "check_results_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
