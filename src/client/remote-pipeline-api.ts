/** Pipelines over HTTP: every `PipelineApi` call becomes a request to `/v1/pipelines…`. */
import { tableFromIPC, type Table } from 'apache-arrow'
import type { DeployRequest, LogsRequest, PipelineApi, PipelineRecord, PipelineStep, PipelineValidation } from '../api/pipeline-api.js'
import type { InferInput, ScopeOptions } from '../api/quiver-api.js'
import type { ModelSchema } from '../data/schema.js'
import { isQuiverError } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'
import type { JsonRequest, ScopeQuery } from './remote-feature-api.js'

export type RawRequest = (method: string, path: string, what: string, init?: RequestInit) => Promise<Response>
export type BodyOf = (input: InferInput) => { type: string; body: BodyInit }

const JSON_BODY = { 'content-type': 'application/json' }
const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
const enc = encodeURIComponent

export class RemotePipelineApi implements PipelineApi {
  constructor(
    private readonly json: JsonRequest,
    private readonly raw: RawRequest,
    private readonly query: ScopeQuery,
    private readonly bodyOf: BodyOf,
  ) {}

  create(name: string, steps: PipelineStep[], opts: ScopeOptions = {}): Promise<PipelineRecord> {
    return this.json('POST', `/v1/pipelines${this.query(opts)}`, `create pipeline ${name}`, { headers: JSON_BODY, body: JSON.stringify({ name, steps }) })
  }

  list(opts: ScopeOptions = {}): Promise<PipelineRecord[]> {
    return this.json('GET', `/v1/pipelines${this.query(opts)}`, 'list pipelines')
  }

  show(name: string, opts: ScopeOptions = {}): Promise<PipelineRecord> {
    return this.json('GET', `/v1/pipelines/${enc(name)}${this.query(opts)}`, `show pipeline ${name}`)
  }

  deploy(name: string, req: DeployRequest = {}, opts: ScopeOptions = {}): Promise<PipelineRecord> {
    const body = { replicas: req.replicas, cpus: req.cpus, memory: req.memory, batch_max_rows: req.batchMaxRows, batch_delay_ms: req.batchDelayMs }
    return this.json('POST', `/v1/pipelines/${enc(name)}/deploy${this.query(opts)}`, `deploy pipeline ${name}`, { headers: JSON_BODY, body: JSON.stringify(body) })
  }

  undeploy(name: string, opts: ScopeOptions = {}): Promise<PipelineRecord> {
    return this.json('POST', `/v1/pipelines/${enc(name)}/undeploy${this.query(opts)}`, `undeploy pipeline ${name}`)
  }

  async infer(name: string, input: InferInput, opts: ScopeOptions = {}): Promise<Table> {
    const { type, body } = this.bodyOf(input)
    const res = await this.raw('POST', `/v1/pipelines/${enc(name)}/infer${this.query(opts)}`, `infer pipeline ${name}`, {
      headers: { 'content-type': type, accept: ARROW_STREAM }, body,
    })
    return tableFromIPC(new Uint8Array(await res.arrayBuffer()))
  }

  swapStep(name: string, index: number, ref: string, opts: ScopeOptions = {}): Promise<PipelineRecord> {
    return this.json('POST', `/v1/pipelines/${enc(name)}/swap-step${this.query(opts)}`, `swap step ${index} of ${name}`, {
      headers: JSON_BODY, body: JSON.stringify({ index, ref }),
    })
  }

  validate(name: string, change: { add?: PipelineValidation[]; remove?: string[] }, opts: ScopeOptions = {}): Promise<PipelineRecord> {
    return this.json('POST', `/v1/pipelines/${enc(name)}/validations${this.query(opts)}`, `change validations of ${name}`, {
      headers: JSON_BODY, body: JSON.stringify(change),
    })
  }

  async logs(name: string, q: LogsRequest = {}): Promise<Table> {
    const extra = { since: q.since?.toISOString(), until: q.until?.toISOString(), limit: q.limit === undefined ? undefined : String(q.limit) }
    const res = await this.raw('GET', `/v1/pipelines/${enc(name)}/logs${this.query(q, extra)}`, `logs of ${name}`, { headers: { accept: ARROW_STREAM } })
    return tableFromIPC(new Uint8Array(await res.arrayBuffer()))
  }

  async isDeployed(name: string, opts: ScopeOptions = {}): Promise<boolean> {
    try {
      return (await this.show(name, opts)).deployment !== null
    } catch (err) {
      if (isQuiverError(err) && err.code === 'not_found') return false
      throw err
    }
  }

  async inputSchema(name: string, opts: ScopeOptions = {}): Promise<ModelSchema> {
    return (await this.#step(name, opts, 'first')).input_schema ?? []
  }

  async outputSchema(name: string, opts: ScopeOptions = {}): Promise<ModelSchema> {
    return (await this.#step(name, opts, 'last')).output_schema ?? []
  }

  async #step(name: string, opts: ScopeOptions, which: 'first' | 'last'): Promise<VersionRecord> {
    const p = await this.show(name, opts)
    const ref = (which === 'first' ? p.steps[0] : p.steps.at(-1))!.ref
    return this.json<VersionRecord>('GET', `/v1/models/${enc(ref)}${this.query(opts)}`, `show ${ref}`)
  }
}
