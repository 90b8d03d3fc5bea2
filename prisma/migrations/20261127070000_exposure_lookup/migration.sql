-- The serving API looks a listener's variants up on every request: by listener, not by experiment
-- (the primary key leads with the experiment, so that lookup read every exposure of it).
CREATE INDEX "experiment_exposures_user_id_experiment_id_idx" ON "experiment_exposures"("user_id", "experiment_id");
