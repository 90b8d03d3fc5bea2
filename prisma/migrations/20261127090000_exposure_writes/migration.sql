-- Every read of exposures filters by experiment first, which the primary key serves; this index
-- only cost the serving API's exposure writes an index entry each.
DROP INDEX "experiment_exposures_experiment_id_first_exposed_at_idx";
