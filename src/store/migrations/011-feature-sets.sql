-- Feature sets: every applied definition is a version; an unchanged one is not stored again.
CREATE TABLE feature_set_versions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  version      integer NOT NULL CHECK (version > 0),
  digest       text NOT NULL,
  definition   jsonb NOT NULL,
  keys         jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name, version)
);

-- The embedded online store: the latest feature values per entity, one row per entity.
CREATE TABLE online_values (
  namespace text NOT NULL,
  entity    text NOT NULL,
  value     text NOT NULL,
  PRIMARY KEY (namespace, entity)
);
