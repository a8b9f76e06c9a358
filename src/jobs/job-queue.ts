/** Long work as jobs: one interface, on the metadata database (PGlite in process, or PostgreSQL shared by replicas). */

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobState = (typeof JOB_STATES)[number]

export interface JobRecord {
  id: number
  kind: string
  /** The workspace that asked for it; only that workspace lists, shows and cancels it. */
  workspace: string
  payload: Record<string, unknown>
  state: JobState
  attempts: number
  max_attempts: number
  worker: string | null
  progress: number
  message: string | null
  cancel_requested: boolean
  result: unknown
  error: string | null
  created_at: string
  updated_at: string
}

export interface EnqueueOptions {
  /** Runs before the job fails for good (default 3). */
  maxAttempts?: number
  /** Default `default`. */
  workspace?: string
}

export interface ListJobsOptions {
  workspace: string
  state?: JobState
  kind?: string
  /** Newest first, at most this many (default 100). */
  limit?: number
}

export interface ClaimOptions {
  /** Only jobs whose id is at most this (a one-shot command runs what was queued before it opened). */
  maxId?: number
}

/** What a worker hears when it renews its lease. */
export interface Heartbeat {
  /** The job is no longer this worker's (its lease ran out and it was swept, or it finished elsewhere). */
  lost: boolean
  cancelRequested: boolean
}

export interface JobQueue {
  enqueue(kind: string, payload: Record<string, unknown>, opts?: EnqueueOptions): Promise<JobRecord>
  /** The job; `NotFound` when it does not exist, or belongs to another workspace than `workspace` (when given). */
  get(id: number, workspace?: string): Promise<JobRecord>
  list(opts: ListJobsOptions): Promise<JobRecord[]>
  /** Takes the oldest runnable job of `kinds` for `worker`, leased for `leaseMs`; null when there is none. */
  claim(worker: string, kinds: readonly string[], leaseMs: number, opts?: ClaimOptions): Promise<JobRecord | null>
  /** Renews the lease and records progress (0..1) and a message. */
  heartbeat(id: number, worker: string, leaseMs: number, progress?: { fraction?: number; message?: string }): Promise<Heartbeat>
  complete(id: number, worker: string, result: unknown): Promise<void>
  /** A failed run: queued again after a backoff while attempts remain (and not `final`), else failed for good. */
  fail(id: number, worker: string, error: string, opts?: { final?: boolean }): Promise<JobRecord | null>
  /** The worker stops before finishing the job: queued again at once for another worker, the attempt not counted. */
  release(id: number, worker: string): Promise<void>
  /** The worker stopped a job whose cancellation was requested. */
  markCancelled(id: number, worker: string): Promise<void>
  /**
   * Cancels a queued job at once; a running one is told to stop at its next heartbeat. `Conflict`
   * for a job already finished; `NotFound` as in `get`.
   */
  cancel(id: number, workspace?: string): Promise<JobRecord>
  /**
   * Running jobs whose lease ran out (their worker died): queued again, or failed when out of
   * attempts. `everyRunning`: all running jobs, whatever their lease (the embedded store's new
   * holder knows that the one before it is dead).
   */
  sweepDead(opts?: { everyRunning?: boolean }): Promise<number[]>
  /** The highest job id so far (0 when none). */
  lastId(): Promise<number>
}

/** Thrown by a handler whose job cannot succeed by running again (bad input): failed at once, not retried. */
export class FinalJobError extends Error {
  override readonly name = 'FinalJobError'
}
