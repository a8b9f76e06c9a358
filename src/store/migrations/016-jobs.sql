-- Jobs: long work any process may take (SELECT … FOR UPDATE SKIP LOCKED), held under a lease that
-- its worker renews; a job whose lease ran out goes back to the queue (or fails, out of attempts).
CREATE TABLE jobs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}',
  state            text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  run_after        timestamptz NOT NULL DEFAULT now(),
  worker           text,
  lease_until      timestamptz,
  progress         real NOT NULL DEFAULT 0,
  message          text,
  cancel_requested boolean NOT NULL DEFAULT false,
  result           jsonb,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_queued_idx ON jobs (kind, run_after) WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON jobs (lease_until) WHERE state = 'running';
