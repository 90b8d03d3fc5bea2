-- Every request of an exposed listener updates their row (count, last time). Room left on each page
-- lets PostgreSQL keep the new row version there (a HOT update), without new entries in either index.
ALTER TABLE "experiment_exposures" SET (fillfactor = 70);
