-- Which process is bringing each unfinished version (pending_conversion, converting) to a final
-- status, so that versions left behind by a process that died can be found and failed.
CREATE TABLE conversion_claims (
  version_id   bigint PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
  pid          integer NOT NULL,
  host         text NOT NULL,
  -- Linux boot id and the process's start time in clock ticks: a reused pid is not the owner.
  boot_id      text NOT NULL DEFAULT '',
  proc_start   text NOT NULL DEFAULT '',
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
