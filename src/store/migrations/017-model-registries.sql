-- Other registries models are imported from (SPEC §10): an MLflow tracking server or another Quiver.
CREATE TABLE model_registries (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  type         text NOT NULL CHECK (type IN ('mlflow', 'quiver')),
  url          text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);
