-- Web processes keep recently used API keys in memory while they LISTEN here: any change to who a key
-- is (revoked, scopes, limits, deleted) tells them at commit, whoever made it (console, CLI, plain SQL).
-- last_used_at, written once a minute per key, is not such a change.
CREATE FUNCTION "api_keys_notify_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('encore_api_keys', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER "api_keys_changed"
  AFTER UPDATE OF "token_hash", "name", "scopes", "rate_per_second", "burst", "revoked_at" OR DELETE OR TRUNCATE ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "api_keys_notify_change"();
