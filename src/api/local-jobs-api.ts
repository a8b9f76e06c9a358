import type { SqlJobQueue } from '../jobs/sql-job-queue.js'
import { assertValidName } from '../registry/names.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import { waitForJob, type JobRecord, type JobsApi, type ListJobsRequest } from './jobs-api.js'
import type { ScopeOptions } from './quiver-api.js'

/** Jobs of the metadata database's queue, seen from one workspace at a time. */
export class LocalJobsApi implements JobsApi {
  readonly #queue: SqlJobQueue

  constructor(queue: SqlJobQueue) {
    this.#queue = queue
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

  cancel(id: number, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#queue.cancel(id, workspaceOf(opts))
  }

  wait(id: number, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<JobRecord> {
    return waitForJob(() => this.get(id, opts), opts.timeoutMs)
  }
}

function workspaceOf(opts: ScopeOptions): string {
  const ws = opts.workspace ?? DEFAULT_WORKSPACE
  assertValidName(ws, 'workspace')
  return ws
}
