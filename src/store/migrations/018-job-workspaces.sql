-- Jobs belong to the workspace that asked for them: listed, shown and cancelled only there.
ALTER TABLE jobs ADD COLUMN workspace text NOT NULL DEFAULT 'default';
CREATE INDEX jobs_workspace_idx ON jobs (workspace, id);
