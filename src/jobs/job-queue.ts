/** Long work as jobs: one interface, on the metadata database (PGlite in process, or PostgreSQL shared by replicas). */

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface JobRecord {
  id: number
  kind: string
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
}

/** What a worker hears when it renews its lease. */
export interface Heartbeat {
  /** The job is no longer this worker's (its lease ran out and it was swept, or it finished elsewhere). */
  lost: boolean
  cancelRequested: boolean
}

export interface JobQueue {
  enqueue(kind: string, payload: Record<string, unknown>, opts?: EnqueueOptions): Promise<JobRecord>
  get(id: number): Promise<JobRecord>
  /** Takes the oldest runnable job of `kinds` for `worker`, leased for `leaseMs`; null when there is none. */
  claim(worker: string, kinds: readonly string[], leaseMs: number): Promise<JobRecord | null>
  /** Renews the lease and records progress (0..1) and a message. */
  heartbeat(id: number, worker: string, leaseMs: number, progress?: { fraction?: number; message?: string }): Promise<Heartbeat>
  complete(id: number, worker: string, result: unknown): Promise<void>
  /** A failed run: queued again after a backoff while attempts remain, else failed for good. */
  fail(id: number, worker: string, error: string): Promise<JobRecord | null>
  /** The worker stopped a job whose cancellation was requested. */
  markCancelled(id: number, worker: string): Promise<void>
  /** Cancels a queued job at once; a running one is told to stop at its next heartbeat. */
  cancel(id: number): Promise<JobRecord>
  /** Running jobs whose lease ran out (their worker died): queued again, or failed when out of attempts. */
  sweepDead(): Promise<number[]>
}
