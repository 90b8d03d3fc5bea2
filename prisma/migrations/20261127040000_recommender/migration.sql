-- A train run the data gate stopped ends as skipped, with the reason in its error.
ALTER TYPE "run_status" ADD VALUE 'skipped';

-- What a train run learns from, frozen: a content-addressed file under the data lake, and its lineage.
CREATE TABLE "train_snapshots" (
    "id" SERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "run_id" INTEGER,
    "ingestion_run_id" INTEGER,
    "newest_listen_at" TIMESTAMPTZ(3),
    "users" INTEGER NOT NULL,
    "tracks" INTEGER NOT NULL,
    "listens" INTEGER NOT NULL,
    "pairs" INTEGER NOT NULL,
    "digest" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    CONSTRAINT "train_snapshots_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "train_snapshots" ADD CONSTRAINT "train_snapshots_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "train_snapshots" ADD CONSTRAINT "train_snapshots_ingestion_run_id_fkey" FOREIGN KEY ("ingestion_run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Immutable model versions (MLflow-like): what was trained, on what, how well; the artefact is a file with its checksum.
CREATE TABLE "model_versions" (
    "id" SERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "family" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "code_version" TEXT NOT NULL,
    "snapshot_id" INTEGER NOT NULL,
    "run_id" INTEGER,
    "metrics" JSONB NOT NULL,
    "baseline_metrics" JSONB NOT NULL,
    "training" JSONB NOT NULL,
    "artefact_path" TEXT,
    "artefact_digest" TEXT NOT NULL,
    "artefact_bytes" INTEGER NOT NULL,
    "artefact_pruned_at" TIMESTAMPTZ(3),
    "decision" TEXT,
    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "model_versions_family_created_at_idx" ON "model_versions"("family", "created_at");
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_snapshot_id_fkey" FOREIGN KEY ("snapshot_id") REFERENCES "train_snapshots"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Aliases point at versions: champion (served), challenger. Moved, never by rewriting a version.
CREATE TABLE "model_aliases" (
    "alias" TEXT NOT NULL,
    "version_id" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    CONSTRAINT "model_aliases_pkey" PRIMARY KEY ("alias")
);
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A version's batch scores: its top tracks for every user, for serving.
CREATE TABLE "recommendations" (
    "version_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "track_ids" INTEGER[],
    "scores" REAL[],
    "reasons" JSONB NOT NULL,
    CONSTRAINT "recommendations_pkey" PRIMARY KEY ("version_id", "user_id")
);
ALTER TABLE "recommendations" ADD CONSTRAINT "recommendations_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The champion judged on the listening that arrived after its snapshot, per day.
CREATE TABLE "model_online_metrics" (
    "version_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ingestion_run_id" INTEGER,
    "users" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL,
    CONSTRAINT "model_online_metrics_pkey" PRIMARY KEY ("version_id", "day")
);
ALTER TABLE "model_online_metrics" ADD CONSTRAINT "model_online_metrics_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
