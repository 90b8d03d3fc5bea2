-- A/B experiments between model versions.
CREATE TYPE "experiment_status" AS ENUM ('draft', 'running', 'stopped', 'decided');

CREATE TABLE "experiments" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hypothesis" TEXT NOT NULL,
    "namespace" TEXT,
    "namespace_start" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "namespace_end" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "coverage" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "seed" TEXT NOT NULL,
    "primary_metric" TEXT NOT NULL,
    "secondary_metrics" TEXT[],
    "guardrail_metrics" TEXT[],
    "correction" TEXT NOT NULL DEFAULT 'holm',
    "sequential" BOOLEAN NOT NULL DEFAULT true,
    "alpha" DOUBLE PRECISION NOT NULL DEFAULT 0.05,
    "status" "experiment_status" NOT NULL DEFAULT 'draft',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "stopped_at" TIMESTAMPTZ(3),
    "decided_at" TIMESTAMPTZ(3),
    "decided_by" TEXT,
    "shipped_variant" TEXT,
    "decision_note" TEXT,
    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "experiments_key_key" ON "experiments"("key");
CREATE INDEX "experiments_status_idx" ON "experiments"("status");

CREATE TABLE "experiment_variants" (
    "experiment_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "version_id" INTEGER NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "experiment_variants_pkey" PRIMARY KEY ("experiment_id", "key")
);
ALTER TABLE "experiment_variants" ADD CONSTRAINT "experiment_variants_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "experiment_variants" ADD CONSTRAINT "experiment_variants_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- First exposure per user and experiment; the variant stays theirs for the rest of it.
CREATE TABLE "experiment_exposures" (
    "experiment_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "variant" TEXT NOT NULL,
    "first_exposed_at" TIMESTAMPTZ(3) NOT NULL,
    "last_exposed_at" TIMESTAMPTZ(3) NOT NULL,
    "exposures" INTEGER NOT NULL,
    "served_track_ids" INTEGER[],
    CONSTRAINT "experiment_exposures_pkey" PRIMARY KEY ("experiment_id", "user_id")
);
CREATE INDEX "experiment_exposures_experiment_id_first_exposed_at_idx" ON "experiment_exposures"("experiment_id", "first_exposed_at");
ALTER TABLE "experiment_exposures" ADD CONSTRAINT "experiment_exposures_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "experiment_results" (
    "experiment_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "analysis_run_id" INTEGER,
    "results" JSONB NOT NULL,
    CONSTRAINT "experiment_results_pkey" PRIMARY KEY ("experiment_id", "day")
);
ALTER TABLE "experiment_results" ADD CONSTRAINT "experiment_results_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
