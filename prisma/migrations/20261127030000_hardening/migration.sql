-- A quarantined record's payload is its JSON text: jsonb cannot hold a NUL (\u0000) nor half a
-- surrogate pair, and a record the source sends as JSON null must be kept too.
ALTER TABLE "quarantine" ALTER COLUMN "payload" TYPE TEXT USING "payload"::text;

-- Rows a full read of the source no longer holds: kept in their tables, listed here from the run
-- that first missed them until a read holds them again.
CREATE TABLE "source_vanished" (
    "dataset" TEXT NOT NULL,
    "record_key" TEXT NOT NULL,
    "first_missed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "first_missed_run_id" INTEGER,
    CONSTRAINT "source_vanished_pkey" PRIMARY KEY ("dataset", "record_key")
);
ALTER TABLE "source_vanished" ADD CONSTRAINT "source_vanished_first_missed_run_id_fkey" FOREIGN KEY ("first_missed_run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Console sessions: the JWT cookie names one, and a session ended here (sign-out, password reset,
-- disabling, role change) is refused on the next request.
CREATE TABLE "operator_sessions" (
    "id" TEXT NOT NULL,
    "operator_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,
    CONSTRAINT "operator_sessions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "operator_sessions_operator_id_ended_at_idx" ON "operator_sessions"("operator_id", "ended_at");
ALTER TABLE "operator_sessions" ADD CONSTRAINT "operator_sessions_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE CASCADE;
