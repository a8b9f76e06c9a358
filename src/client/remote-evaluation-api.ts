/** Suites, evaluation and comparison over HTTP: every `EvaluationApi` call becomes a request to `/v1/suites…` or `/v1/models/{ref}/…`. */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ComparisonResult, CompareRequest, CreateSuiteRequest, EvaluateRequest, EvaluationApi, EvaluationResult, SuiteRecord } from '../api/evaluation-api.js'
import type { ScopeOptions } from '../api/quiver-api.js'
import type { JsonRequest, ScopeQuery } from './remote-feature-api.js'

const JSON_BODY = { 'content-type': 'application/json' }
const enc = encodeURIComponent

export class RemoteEvaluationApi implements EvaluationApi {
  readonly #json: JsonRequest
  readonly #query: ScopeQuery

  constructor(json: JsonRequest, query: ScopeQuery) {
    this.#json = json
    this.#query = query
  }

  async createSuite(req: CreateSuiteRequest, opts: ScopeOptions = {}): Promise<SuiteRecord & { created: boolean }> {
    const bytes = 'path' in req.source ? await readFile(req.source.path) : req.source.bytes
    const fileName = 'path' in req.source ? basename(req.source.path) : req.source.fileName
    const q = new URLSearchParams({ label: req.label, file_name: fileName })
    if (req.features?.length) q.set('features', req.features.join(','))
    for (const c of req.cases ?? []) q.append('case', `${c.name}=${c.expression}`)
    const scope = this.#query(opts)
    const sep = scope ? '&' : '?'
    return this.#json('POST', `/v1/suites/${enc(req.name)}${scope}${sep}${q}`, `create suite ${req.name}`, {
      headers: { 'content-type': 'application/octet-stream' }, body: bytes as unknown as BodyInit,
    })
  }

  listSuites(opts: ScopeOptions = {}): Promise<SuiteRecord[]> {
    return this.#json('GET', `/v1/suites${this.#query(opts)}`, 'list suites')
  }

  showSuite(ref: string, opts: ScopeOptions = {}): Promise<SuiteRecord> {
    return this.#json('GET', `/v1/suites/${enc(ref)}${this.#query(opts)}`, `show suite ${ref}`)
  }

  evaluate(ref: string, req: EvaluateRequest): Promise<EvaluationResult> {
    return this.#json('POST', `/v1/models/${enc(ref)}/evaluate${this.#query(req)}`, `evaluate ${ref}`, {
      headers: JSON_BODY, body: JSON.stringify({ suite: req.suite }),
    })
  }

  compare(a: string, b: string, req: CompareRequest): Promise<ComparisonResult> {
    return this.#json('POST', `/v1/compare${this.#query(req)}`, `compare ${a} and ${b}`, {
      headers: JSON_BODY, body: JSON.stringify({ a, b, suite: req.suite, threshold: req.threshold, promote: req.promote }),
    })
  }
}
