import type { SqlJobQueue } from '../jobs/sql-job-queue.js'
import { assertValidName } from '../registry/names.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import { waitForJob, type JobRecord, type JobsApi, type ListJobsRequest } from './jobs-api.js'
import type { ScopeOptions } from './quiver-api.js'
import type { MaterializeWindow } from './feature-api.js'
import type { TrainRequest } from './training-api.js'
import { enqueueEvaluate, enqueueMaterialize, enqueueTrain, type WorkJobDeps } from './work-jobs.js'

export interface LocalJobsHooks {
  /** Makes sure this process's worker runs (a one-shot command defers it to its end). */
  beforeWait?: () => void
  /** A queued job was cancelled before it ran: what it was to change is told so. */
  cancelled?: (job: JobRecord) => Promise<void>
  /** A job was just queued (a worker of this process looks at once). */
  enqueued?: () => void
}

/** Jobs of the metadata database's queue, seen from one workspace at a time. */
export class LocalJobsApi implements JobsApi {
  readonly #queue: SqlJobQueue
  readonly #hooks: LocalJobsHooks
  readonly #work: WorkJobDeps

  constructor(queue: SqlJobQueue, hooks: LocalJobsHooks, work: WorkJobDeps) {
    this.#queue = queue
    this.#hooks = hooks
    this.#work = work
  }

  materialize(set: string, opts: ScopeOptions & MaterializeWindow = {}): Promise<JobRecord> {
    return this.#queued(enqueueMaterialize(this.#work, set, opts))
  }

  evaluate(ref: string, req: ScopeOptions & { suite: string }): Promise<JobRecord> {
    return this.#queued(enqueueEvaluate(this.#work, ref, req))
  }

  train(req: TrainRequest, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#queued(enqueueTrain(this.#work, req, opts))
  }

  async #queued(job: Promise<JobRecord>): Promise<JobRecord> {
    const queued = await job
    this.#hooks.enqueued?.()
    return queued
  }

  /** The queue itself, for the workers of this process and for tests. */
  get queue(): SqlJobQueue {
    return this.#queue
  }

  list(req: ListJobsRequest = {}): Promise<JobRecord[]> {
    return this.#queue.list({ workspace: workspaceOf(req), state: req.state, kind: req.kind, limit: req.limit })
  }

  get(id: number, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#queue.get(id, workspaceOf(opts))
  }

  async cancel(id: number, opts: ScopeOptions = {}): Promise<JobRecord> {
    const job = await this.#queue.cancel(id, workspaceOf(opts))
    if (job.state === 'cancelled') await this.#hooks.cancelled?.(job)
    return job
  }

  wait(id: number, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<JobRecord> {
    this.#hooks.beforeWait?.()
    return waitForJob(() => this.get(id, opts), opts.timeoutMs)
  }
}

function workspaceOf(opts: ScopeOptions): string {
  const ws = opts.workspace ?? DEFAULT_WORKSPACE
  assertValidName(ws, 'workspace')
  return ws
}
