-- Pipelines: every change (create, swap-step, validations) is a new version; a version is never edited.
CREATE TABLE pipeline_versions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  version      integer NOT NULL CHECK (version > 0),
  uuid         text NOT NULL UNIQUE,
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name, version)
);

-- A deployed pipeline serves its newest version; the row outlives restarts until undeploy.
CREATE TABLE pipeline_deployments (
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  config       jsonb NOT NULL,
  deployed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, name)
);
