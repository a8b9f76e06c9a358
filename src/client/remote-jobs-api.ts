/** Jobs over HTTP: `GET /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/jobs/{id}/cancel`. */
import { waitForJob, type JobRecord, type JobsApi, type ListJobsRequest } from '../api/jobs-api.js'
import type { ScopeOptions } from '../api/quiver-api.js'
import type { MaterializeWindow } from '../api/feature-api.js'
import type { TrainRequest } from '../api/training-api.js'
import type { JsonRequest, ScopeQuery } from './remote-feature-api.js'
import { trainBody } from './remote-training-api.js'

const enc = encodeURIComponent

export class RemoteJobsApi implements JobsApi {
  readonly #json: JsonRequest
  readonly #query: ScopeQuery

  constructor(json: JsonRequest, query: ScopeQuery) {
    this.#json = json
    this.#query = query
  }

  materialize(set: string, opts: ScopeOptions & MaterializeWindow = {}): Promise<JobRecord> {
    const body = JSON.stringify({ start: opts.start, end: opts.end })
    return this.#json('POST', `/v1/features/${enc(set)}/materialize${this.#query(opts, { wait: 'false' })}`, `queue materializing ${set}`, {
      headers: { 'content-type': 'application/json' }, body,
    })
  }

  evaluate(ref: string, req: ScopeOptions & { suite: string }): Promise<JobRecord> {
    return this.#json('POST', `/v1/models/${enc(ref)}/evaluate${this.#query(req, { wait: 'false' })}`, `queue evaluating ${ref}`, {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ suite: req.suite }),
    })
  }

  async train(req: TrainRequest, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#json('POST', `/v1/models/${enc(req.name)}/train${this.#query(opts, { wait: 'false' })}`, `queue training ${req.name}`, {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(await trainBody(req)), signal: req.signal,
    })
  }

  list(req: ListJobsRequest = {}): Promise<JobRecord[]> {
    const extra: Record<string, string> = {}
    if (req.state) extra.state = req.state
    if (req.kind) extra.kind = req.kind
    if (req.limit !== undefined) extra.limit = String(req.limit)
    return this.#json('GET', `/v1/jobs${this.#query(req, extra)}`, 'list jobs')
  }

  get(id: number, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#json('GET', `/v1/jobs/${encodeURIComponent(id)}${this.#query(opts)}`, `show job ${id}`)
  }

  cancel(id: number, opts: ScopeOptions = {}): Promise<JobRecord> {
    return this.#json('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel${this.#query(opts)}`, `cancel job ${id}`)
  }

  wait(id: number, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<JobRecord> {
    return waitForJob(() => this.get(id, opts), opts.timeoutMs)
  }
}
