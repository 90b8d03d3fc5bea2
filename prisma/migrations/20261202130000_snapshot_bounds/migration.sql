-- A snapshot reads each listener's most recent listens only; what it left out is recorded with it.
ALTER TABLE "train_snapshots" ADD COLUMN "listen_limit" INTEGER,
ADD COLUMN "listens_left_out" INTEGER NOT NULL DEFAULT 0;
