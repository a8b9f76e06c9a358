import { Conflict, InvalidInput, NotFound } from '../errors.js'
import type { SqlExecutor } from '../store/driver.js'
import { JOB_STATES, type ClaimOptions, type EnqueueOptions, type Heartbeat, type JobQueue, type JobRecord, type ListJobsOptions } from './job-queue.js'

const COLUMNS = `id, kind, workspace, payload, state, attempts, max_attempts, worker, progress, message, cancel_requested,
  result, error, created_at, updated_at`


/**
 * The job queue in the metadata database (migration 016). Claims use `FOR UPDATE SKIP LOCKED`, so
 * any number of processes on one PostgreSQL take different jobs without waiting on each other;
 * on PGlite the same statements run in the one process that holds the home.
 */
export class SqlJobQueue implements JobQueue {
  readonly #db: SqlExecutor
  readonly #retryBaseMs: number

  /** `retryBaseMs`: the wait before a failed job runs again, times 4 per attempt (default 1 s: 1 s, 4 s, 16 s …). */
  constructor(db: SqlExecutor, opts: { retryBaseMs?: number } = {}) {
    this.#db = db
    this.#retryBaseMs = opts.retryBaseMs ?? 1000
  }

  async enqueue(kind: string, payload: Record<string, unknown>, opts: EnqueueOptions = {}): Promise<JobRecord> {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(kind)) {
      throw new InvalidInput(`job kind '${kind}' must be 1-64 lower-case letters, digits, . _ -`, { field: 'kind', got: kind })
    }
    const max = opts.maxAttempts ?? 3
    if (!Number.isInteger(max) || max < 1) throw new InvalidInput(`maxAttempts must be a positive integer, got ${max}`, { field: 'maxAttempts', got: String(max) })
    const [row] = await this.#db.query<JobRow>(
      `INSERT INTO jobs (kind, payload, max_attempts, workspace) VALUES ($1, $2::jsonb, $3, $4) RETURNING ${COLUMNS}`,
      [kind, JSON.stringify(payload), max, opts.workspace ?? 'default'],
    )
    return toJob(row!)
  }

  async get(id: number, workspace?: string): Promise<JobRecord> {
    const [row] = await this.#db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1 AND ($2::text IS NULL OR workspace = $2)`, [checkId(id), workspace ?? null])
    if (!row) throw notFound(id)
    return toJob(row)
  }

  async list(opts: ListJobsOptions): Promise<JobRecord[]> {
    if (opts.state !== undefined && !JOB_STATES.includes(opts.state)) {
      throw new InvalidInput(`unknown job state '${opts.state}'; expected one of ${JOB_STATES.join(', ')}`, { field: 'state', expected: JOB_STATES.join('|'), got: opts.state })
    }
    const limit = opts.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new InvalidInput(`limit must be a whole number from 1 to 10000, got ${limit}`, { field: 'limit', expected: '1..10000', got: String(limit) })
    }
    const rows = await this.#db.query<JobRow>(
      `SELECT ${COLUMNS} FROM jobs WHERE workspace = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR kind = $3)
       ORDER BY id DESC LIMIT $4`,
      [opts.workspace, opts.state ?? null, opts.kind ?? null, limit],
    )
    return rows.map(toJob)
  }

  /** Blobs that queued or running jobs (other than `exceptId`) will read: their payload's `blobs`. */
  async activeBlobs(exceptId?: number): Promise<Set<string>> {
    const rows = await this.#db.query<{ sha: string }>(
      `SELECT DISTINCT jsonb_array_elements_text(payload->'blobs') AS sha FROM jobs
       WHERE state IN ('queued', 'running') AND jsonb_typeof(payload->'blobs') = 'array' AND id <> $1`,
      [exceptId ?? 0],
    )
    return new Set(rows.map((r) => r.sha))
  }

  async lastId(): Promise<number> {
    const [row] = await this.#db.query<{ last: string | number | null }>('SELECT max(id) AS last FROM jobs')
    return Number(row?.last ?? 0)
  }

  /** Whether a job of `kind` whose payload has `key` = `value` is queued or running. */
  async active(kind: string, key: string, value: string): Promise<boolean> {
    const rows = await this.#db.query(
      `SELECT 1 FROM jobs WHERE kind = $1 AND payload->>$2 = $3 AND state IN ('queued', 'running') LIMIT 1`, [kind, key, value])
    return rows.length > 0
  }

  async claim(worker: string, kinds: readonly string[], leaseMs: number, opts: ClaimOptions = {}): Promise<JobRecord | null> {
    const [row] = await this.#db.query<JobRow>(
      `UPDATE jobs SET state = 'running', worker = $1, attempts = attempts + 1, progress = 0, message = NULL,
         lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
       WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= now() AND kind = ANY($2::text[])
                     AND ($4::bigint IS NULL OR id <= $4)
                   ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING ${COLUMNS}`,
      [worker, [...kinds], leaseMs, opts.maxId ?? null],
    )
    return row ? toJob(row) : null
  }

  async heartbeat(id: number, worker: string, leaseMs: number, progress: { fraction?: number; message?: string } = {}): Promise<Heartbeat> {
    const [row] = await this.#db.query<{ cancel_requested: boolean }>(
      `UPDATE jobs SET lease_until = now() + $3 * interval '1 millisecond', updated_at = now(),
         progress = COALESCE($4, progress), message = COALESCE($5, message)
       WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING cancel_requested`,
      [id, worker, leaseMs, progress.fraction === undefined ? null : Math.min(1, Math.max(0, progress.fraction)), progress.message ?? null],
    )
    return row ? { lost: false, cancelRequested: row.cancel_requested } : { lost: true, cancelRequested: false }
  }

  async complete(id: number, worker: string, result: unknown): Promise<void> {
    await this.#finish(id, worker, `state = 'succeeded', progress = 1, result = $3::jsonb`, [JSON.stringify(result ?? null)])
  }

  async fail(id: number, worker: string, error: string, opts: { final?: boolean } = {}): Promise<JobRecord | null> {
    const [row] = await this.#db.query<JobRow>(
      `UPDATE jobs SET error = $3, worker = NULL, lease_until = NULL, updated_at = now(),
         state = CASE WHEN attempts < max_attempts AND NOT $5 THEN 'queued' ELSE 'failed' END,
         run_after = now() + $4 * interval '1 millisecond' * CASE WHEN attempts < max_attempts AND NOT $5 THEN power(4, attempts - 1) ELSE 0 END
       WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING ${COLUMNS}`,
      [id, worker, error, this.#retryBaseMs, opts.final === true],
    )
    return row ? toJob(row) : null
  }

  async release(id: number, worker: string): Promise<void> {
    await this.#finish(id, worker, `state = 'queued', attempts = attempts - 1, run_after = now()`, [])
  }

  async markCancelled(id: number, worker: string): Promise<void> {
    await this.#finish(id, worker, `state = 'cancelled', error = 'cancelled'`, [])
  }

  async cancel(id: number, workspace?: string): Promise<JobRecord> {
    const [row] = await this.#db.query<JobRow>(
      `UPDATE jobs SET cancel_requested = true, updated_at = now(),
         state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
         error = CASE WHEN state = 'queued' THEN 'cancelled' ELSE error END
       WHERE id = $1 AND ($2::text IS NULL OR workspace = $2) AND state IN ('queued', 'running') RETURNING ${COLUMNS}`,
      [checkId(id), workspace ?? null],
    )
    if (row) return toJob(row)
    const job = await this.get(id, workspace)
    throw new Conflict(`job ${id} is already ${job.state}; only a queued or running job can be cancelled`, { job: id, state: job.state })
  }

  async sweepDead(opts: { everyRunning?: boolean } = {}): Promise<number[]> {
    const rows = await this.#db.query<{ id: string | number }>(
      `UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
         error = 'worker ' || worker || ' stopped renewing its lease', worker = NULL, lease_until = NULL, updated_at = now()
       WHERE state = 'running' AND ($1 OR lease_until < now()) RETURNING id`,
      [opts.everyRunning === true],
    )
    return rows.map((r) => Number(r.id))
  }

  async #finish(id: number, worker: string, set: string, params: unknown[]): Promise<void> {
    const rows = await this.#db.query(
      `UPDATE jobs SET ${set}, worker = NULL, lease_until = NULL, updated_at = now()
       WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING id`,
      [id, worker, ...params],
    )
    if (!rows.length) throw new Conflict(`job ${id} is no longer held by worker ${worker}`, { job: id, worker })
  }
}

function checkId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidInput(`job id must be a positive whole number, got '${id}'`, { field: 'id', expected: 'integer >= 1', got: String(id) })
  return id
}

function notFound(id: number): NotFound {
  return new NotFound(`job ${id} does not exist`, { job: id })
}

/** A row as the driver returns it: ids and numerics may come as strings, times as Dates. */
type JobRow = Omit<JobRecord, 'id' | 'progress' | 'created_at' | 'updated_at'> & {
  id: string | number
  progress: number | string
  created_at: Date | string
  updated_at: Date | string
}

function toJob(r: JobRow): JobRecord {
  const iso = (t: Date | string) => (t instanceof Date ? t.toISOString() : new Date(t).toISOString())
  return { ...r, id: Number(r.id), progress: Number(r.progress), created_at: iso(r.created_at), updated_at: iso(r.updated_at) }
}
