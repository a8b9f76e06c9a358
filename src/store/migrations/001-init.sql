-- Registry: workspaces, models, versions, tags.
CREATE TABLE workspaces (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO workspaces (name) VALUES ('default');

CREATE TABLE models (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id bigint NOT NULL REFERENCES workspaces (id),
  name         text NOT NULL,
  -- Highest seq ever handed out; seqs are never reused, even after a version is deleted.
  last_seq     integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

CREATE TABLE versions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_id         bigint NOT NULL REFERENCES models (id),
  version          uuid NOT NULL UNIQUE,
  seq              integer NOT NULL CHECK (seq > 0),
  file_name        text NOT NULL,
  sha256           text NOT NULL,
  size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
  framework        text NOT NULL,
  runtime          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending_conversion', 'converting', 'ready', 'error')),
  error_message    text,
  input_schema     jsonb,
  output_schema    jsonb,
  arch             text NOT NULL,
  accel            text NOT NULL,
  image_path       text,
  description      text,
  metadata         jsonb NOT NULL DEFAULT '{}',
  additional_files jsonb NOT NULL DEFAULT '{}',
  config           jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, seq)
);
CREATE INDEX versions_sha256_idx ON versions (sha256);
CREATE INDEX versions_ready_idx ON versions (model_id, seq) WHERE status = 'ready';

CREATE TABLE tags (
  model_id   bigint NOT NULL REFERENCES models (id),
  tag        text NOT NULL,
  version_id bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, tag)
);
CREATE INDEX tags_version_idx ON tags (version_id);

-- Access control.
CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
  workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  token_hash   text NOT NULL UNIQUE,
  user_id      bigint REFERENCES users (id) ON DELETE CASCADE,
  workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

-- Lineage: what was derived from what (model versions, feature sets, data sets, training jobs).
CREATE TABLE lineage_edges (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  from_kind  text NOT NULL,
  from_ref   text NOT NULL,
  to_kind    text NOT NULL,
  to_ref     text NOT NULL,
  relation   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (from_kind, from_ref, to_kind, to_ref, relation)
);
CREATE INDEX lineage_edges_to_idx ON lineage_edges (to_kind, to_ref);
