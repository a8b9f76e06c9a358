import type { JobRecord, JobState } from '../jobs/job-queue.js'
import type { ScopeOptions } from './quiver-api.js'
import type { MaterializeWindow } from './feature-api.js'
import type { TrainRequest } from './training-api.js'

export { JOB_STATES, type JobRecord, type JobState } from '../jobs/job-queue.js'

export interface ListJobsRequest extends ScopeOptions {
  state?: JobState
  kind?: string
  /** Newest first, at most this many (default 100). */
  limit?: number
}

/**
 * Long work (conversion, materialization, training, evaluation) as jobs of a workspace: listed,
 * shown and cancelled only there. A job of another workspace is answered as one that does not exist.
 */
export interface JobsApi {
  /** Queues loading a feature set into the online store (as `features.materialize`); resolves with the queued job. */
  materialize(set: string, opts?: ScopeOptions & MaterializeWindow): Promise<JobRecord>
  /** Queues an evaluation of the version on a suite (as `evaluation.evaluate`); the job's result is the evaluation. */
  evaluate(ref: string, req: ScopeOptions & { suite: string }): Promise<JobRecord>
  /** Queues a training run (as `training.train`; its files are stored first); the job's result is the new version. */
  train(req: TrainRequest, opts?: ScopeOptions): Promise<JobRecord>
  list(req?: ListJobsRequest): Promise<JobRecord[]>
  /** `NotFound` for an unknown id or another workspace's job. */
  get(id: number, opts?: ScopeOptions): Promise<JobRecord>
  /** A queued job is cancelled at once, a running one at its next heartbeat; `Conflict` once finished. */
  cancel(id: number, opts?: ScopeOptions): Promise<JobRecord>
  /** Resolves with the job once it has finished (succeeded, failed or cancelled), or as it is after `timeoutMs`. */
  wait(id: number, opts?: ScopeOptions & { timeoutMs?: number }): Promise<JobRecord>
}

export const FINISHED_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled']

/** Polls `get` with a growing delay until the job has finished or the time is up. */
export async function waitForJob(get: () => Promise<JobRecord>, timeoutMs = 60 * 60_000): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const job = await get()
    if (FINISHED_JOB_STATES.includes(job.state) || Date.now() > deadline) return job
    await new Promise((r) => setTimeout(r, delay))
  }
}
