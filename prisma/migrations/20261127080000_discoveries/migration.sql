-- When each history row was last written by the load: the analysis's discoveries follow it from a
-- watermark. BRIN: rows are appended in load order, so a summary per block range is enough and
-- costs the load next to nothing.
ALTER TABLE "listen_history" ADD COLUMN "loaded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now();
CREATE INDEX "listen_history_loaded_at_idx" ON "listen_history" USING BRIN ("loaded_at");

-- Each listener's first listen of each track, and the tracks each listener first heard on each
-- day: the `new_tracks` and `hit_rate` metrics read a few rows per listener instead of unnesting
-- their whole listening.
CREATE TABLE "heard_tracks" (
    "user_id" INTEGER NOT NULL,
    "track_id" INTEGER NOT NULL,
    "first_heard_at" TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "heard_tracks_pkey" PRIMARY KEY ("user_id", "track_id")
);

CREATE TABLE "discoveries" (
    "user_id" INTEGER NOT NULL,
    "heard_on" TIMESTAMPTZ(6) NOT NULL,
    "track_ids" INTEGER[],
    CONSTRAINT "discoveries_pkey" PRIMARY KEY ("user_id", "heard_on")
);

CREATE TABLE "watermarks" (
    "name" TEXT NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "watermarks_pkey" PRIMARY KEY ("name")
);
