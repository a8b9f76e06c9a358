-- Test suites: samples with ground truth (a blob) and named cases; every change is a new version.
CREATE TABLE test_suites (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  version      integer NOT NULL CHECK (version > 0),
  digest       text NOT NULL,
  blob_sha256  text NOT NULL,
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name, version)
);
CREATE INDEX test_suites_blob_idx ON test_suites (blob_sha256);

-- One evaluation of a model version against a suite version: its metrics and its inferences (a blob).
CREATE TABLE evaluations (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version_id        bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  suite_id          bigint NOT NULL REFERENCES test_suites (id),
  inferences_sha256 text NOT NULL,
  result            jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evaluations_version_idx ON evaluations (version_id, suite_id);
CREATE INDEX evaluations_blob_idx ON evaluations (inferences_sha256);
