-- Change feed: every statement that changes what references resolve to, what is deployed, or which
-- tokens are live tells the processes sharing this database, which drop what they had cached.
-- Payload '<schema>:<table>'; NOTIFY is delivered at commit, once per distinct payload.
CREATE FUNCTION quiver_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('quiver_changes', TG_TABLE_SCHEMA || ':' || TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER tags_changed AFTER INSERT OR UPDATE OR DELETE ON tags
  FOR EACH STATEMENT EXECUTE FUNCTION quiver_notify_change();
CREATE TRIGGER versions_changed AFTER INSERT OR UPDATE OR DELETE ON versions
  FOR EACH STATEMENT EXECUTE FUNCTION quiver_notify_change();
CREATE TRIGGER pipeline_versions_changed AFTER INSERT OR UPDATE OR DELETE ON pipeline_versions
  FOR EACH STATEMENT EXECUTE FUNCTION quiver_notify_change();
CREATE TRIGGER pipeline_deployments_changed AFTER INSERT OR UPDATE OR DELETE ON pipeline_deployments
  FOR EACH STATEMENT EXECUTE FUNCTION quiver_notify_change();
CREATE TRIGGER api_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION quiver_notify_change();
