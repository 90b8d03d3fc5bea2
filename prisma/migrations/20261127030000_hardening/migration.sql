-- A quarantined record's payload is its JSON text: jsonb cannot hold a NUL (\u0000) nor half a
-- surrogate pair, and a record the source sends as JSON null must be kept too.
ALTER TABLE "quarantine" ALTER COLUMN "payload" TYPE TEXT USING "payload"::text;
