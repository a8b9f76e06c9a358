/** The core over HTTP: every `QuiverApi` call becomes a request to a Quiver server's `/v1`. */
import { Readable } from 'node:stream'
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow'
import type { AuthApi, CreatedToken, CreateTokenRequest, Principal, TokenInfo } from '../api/auth-api.js'
import type { ArtifactDownload, InferInput, QuiverApi, ScopeOptions, UploadRequest } from '../api/quiver-api.js'
import { RemoteRegistryApi } from './remote-registry-api.js'
import { InvalidInput, NotReady, RuntimeFailure, Unsupported, errorMessage } from '../errors.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'
import { errorFromResponse } from './errors.js'
import { RemoteFeatureApi } from './remote-feature-api.js'
import { RemoteEvaluationApi } from './remote-evaluation-api.js'
import { RemoteTrainingApi } from './remote-training-api.js'
import { RemoteJobsApi } from './remote-jobs-api.js'
import { RemotePipelineApi } from './remote-pipeline-api.js'
import { multipartBody, type FormPart } from './multipart.js'

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
const FINAL = new Set(['ready', 'error'])

export interface RemoteQuiverOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** Bearer token, for servers running with auth. */
  token?: string
  /** Workspace used when a call does not name one. */
  workspace?: string
}

/**
 * `QuiverApi` against a running server. Uploads stream the file as multipart/form-data; inference
 * sends Arrow IPC and returns an Arrow `Table`.
 *
 * @example
 * const api = new RemoteQuiverApi({ url: 'http://127.0.0.1:8080', token: process.env.QUIVER_TOKEN })
 * const v = await api.uploadModel({ name: 'iris', source: { path: 'model.onnx' }, framework: 'onnx' })
 * const result = await api.infer('iris', { kind: 'json', value: [{ features: [5.1, 3.5, 1.4, 0.2] }] })
 */
export class RemoteQuiverApi implements QuiverApi, AuthApi {
  readonly url: string
  readonly #token: string | undefined
  readonly #workspace: string | undefined
  readonly features: RemoteFeatureApi
  readonly pipelines: RemotePipelineApi
  readonly evaluation: RemoteEvaluationApi
  readonly registries: RemoteRegistryApi
  readonly training: RemoteTrainingApi
  readonly jobs: RemoteJobsApi

  constructor(opts: RemoteQuiverOptions) {
    let base: URL
    try {
      base = new URL(opts.url)
    } catch {
      throw new InvalidInput(`server URL ${JSON.stringify(opts.url)} is not a URL; expected e.g. http://127.0.0.1:8080`, { field: 'server', got: opts.url })
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new InvalidInput(`server URL ${JSON.stringify(opts.url)} must start with http:// or https://`, { field: 'server', got: opts.url })
    }
    this.url = base.href.replace(/\/+$/, '')
    this.#token = opts.token || undefined
    this.#workspace = opts.workspace
    this.features = new RemoteFeatureApi((method, path, what, init) => this.#json(method, path, what, init), (o, extra) => this.#query(o, extra))
    this.training = new RemoteTrainingApi((method, path, what, init) => this.#json(method, path, what, init), (o, extra) => this.#query(o, extra))
    this.jobs = new RemoteJobsApi((method, path, what, init) => this.#json(method, path, what, init), (o, extra) => this.#query(o, extra))
    this.evaluation = new RemoteEvaluationApi((method, path, what, init) => this.#json(method, path, what, init), (o, extra) => this.#query(o, extra))
    this.registries = new RemoteRegistryApi((method, path, what, init) => this.#json(method, path, what, init), (o, extra) => this.#query(o, extra))
    this.pipelines = new RemotePipelineApi(
      (method, path, what, init) => this.#json(method, path, what, init),
      (method, path, what, init) => this.#fetch(method, path, what, init),
      (o, extra) => this.#query(o, extra),
      inferBody,
    )
  }

  async uploadModel(req: UploadRequest): Promise<VersionRecord> {
    const parts: FormPart[] = [
      { name: 'name', value: req.name },
      { name: 'framework', value: req.framework },
    ]
    const field = (name: string, value: string | undefined) => value !== undefined && parts.push({ name, value })
    field('input_schema', req.inputSchema && JSON.stringify(req.inputSchema))
    field('output_schema', req.outputSchema && JSON.stringify(req.outputSchema))
    for (const tag of req.tags ?? []) field('tag', tag)
    field('description', req.description)
    field('meta', req.metadata && JSON.stringify(req.metadata))
    field('tensor_fields', req.tensorFields && JSON.stringify(req.tensorFields))
    field('arch', req.arch)
    field('accel', req.accel)
    if (req.noWait) field('no_wait', 'true')
    if (req.trust) field('trust', 'true')
    for (const [name, source] of Object.entries(req.additionalFiles ?? {})) parts.push({ name: `additional_file.${name}`, file: source })
    parts.push({ name: 'file', file: req.source })
    const form = await multipartBody(parts)
    req.onProgress?.(`uploading to ${this.url}${form.length === undefined ? '' : ` (${form.length} bytes)`}`)
    const headers: Record<string, string> = { 'content-type': form.contentType }
    if (form.length !== undefined) headers['content-length'] = String(form.length)
    const v = await this.#json<VersionRecord>('POST', `/v1/models${this.#query(req)}`, 'upload', {
      headers,
      body: Readable.toWeb(Readable.from(form.body)) as ReadableStream<Uint8Array>,
    })
    req.onProgress?.(`stored ${v.file_name} (${v.size_bytes} bytes, sha256 ${v.sha256.slice(0, 12)}…) as ${v.name}#${v.seq}: status ${v.status}`)
    return v
  }

  listModels(opts: ScopeOptions = {}): Promise<ModelSummary[]> {
    return this.#json('GET', `/v1/models${this.#query(opts)}`, 'list models')
  }

  listVersions(name: string, opts: ScopeOptions = {}): Promise<VersionRecord[]> {
    return this.#json('GET', `/v1/models/${enc(name)}/versions${this.#query(opts)}`, `list versions of ${name}`)
  }

  getVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.#json('GET', `/v1/models/${enc(ref)}${this.#query(opts)}`, `show ${ref}`)
  }

  async waitForVersion(ref: string, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<VersionRecord> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000)
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const s = await this.#json<{ status: string }>('GET', `/v1/models/${enc(ref)}/status${this.#query(opts)}`, `status of ${ref}`)
      if (FINAL.has(s.status) || Date.now() > deadline) return this.getVersion(ref, opts)
      await new Promise((r) => setTimeout(r, delay))
    }
  }

  tag(ref: string, tag: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.#json('POST', `/v1/models/${enc(ref)}/tags${this.#query(opts)}`, `tag ${ref}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tag }),
    })
  }

  async untag(name: string, tag: string, opts: ScopeOptions = {}): Promise<void> {
    await this.#json('DELETE', `/v1/models/${enc(name)}/tags/${enc(tag)}${this.#query(opts)}`, `untag ${name}`)
  }

  /** Sends the input in its own form (a table as Arrow IPC) and reads the result as Arrow IPC. */
  async infer(ref: string, input: InferInput, opts: ScopeOptions = {}): Promise<Table> {
    const { type, body } = inferBody(input)
    const res = await this.#fetch('POST', `/v1/models/${enc(ref)}/infer${this.#query(opts)}`, `infer ${ref}`, {
      headers: { 'content-type': type, accept: ARROW_STREAM },
      body,
    })
    return tableFromIPC(new Uint8Array(await res.arrayBuffer()))
  }

  /** Streams the version's artifact from `/v1/models/{ref}/artifact`. */
  async downloadArtifact(ref: string, opts: ScopeOptions = {}): Promise<ArtifactDownload> {
    const version = await this.getVersion(ref, opts)
    const res = await this.#fetch('GET', `/v1/models/${enc(`${version.name}:${version.version}`)}/artifact${this.#query(opts)}`, `download ${ref}`)
    return { version, stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) }
  }

  /** The server's `/v1/tokens`. */
  get auth(): AuthApi {
    return this
  }

  /** Conversion runs where the artifacts are: on the server's own home. */
  convertPending(ref: string): Promise<VersionRecord> {
    return Promise.reject(new InvalidInput(`convert runs on the home folder, not with --server (${ref} converts on the server that holds it)`, { field: 'server' }))
  }

  /** The server resolves references per request; this asks once for the version a reference names now. */
  async readyVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    const v = await this.getVersion(ref, opts)
    if (v.status !== 'ready') {
      throw new NotReady(`${v.name}#${v.seq} is not ready (status ${v.status}${v.error_message ? `: ${v.error_message}` : ''})`, { status: v.status })
    }
    return v
  }

  inferVersion(v: VersionRecord, input: InferInput): Promise<Table> {
    return this.infer(`${v.workspace}/${v.name}:${v.version}`, input, { workspace: v.workspace })
  }

  createToken(req: CreateTokenRequest): Promise<CreatedToken> {
    return this.#json('POST', '/v1/tokens', 'create token', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) })
  }

  revokeToken(id: string): Promise<TokenInfo> {
    return this.#json('DELETE', `/v1/tokens/${enc(id)}`, `revoke token ${id}`)
  }

  listTokens(opts: { workspace?: string } = {}): Promise<TokenInfo[]> {
    return this.#json('GET', `/v1/tokens${this.#query(opts)}`, 'list tokens')
  }

  verifyToken(): Promise<Principal | null> {
    return Promise.reject(new Unsupported('tokens are verified by the server that issued them, not over HTTP'))
  }

  async close(): Promise<void> {}

  #query(opts: ScopeOptions, extra: Record<string, string | undefined> = {}): string {
    const ws = opts.workspace ?? this.#workspace
    const params = Object.entries({ workspace: ws, ...extra }).filter((e): e is [string, string] => e[1] !== undefined)
    return params.length === 0 ? '' : `?${params.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`
  }

  async #json<T>(method: string, path: string, what: string, init: RequestInit = {}): Promise<T> {
    const res = await this.#fetch(method, path, what, { ...init, headers: { accept: 'application/json', ...init.headers } })
    return (await res.json()) as T
  }

  async #fetch(method: string, path: string, what: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`)
    let res: Response
    try {
      res = await fetch(`${this.url}${path}`, { ...init, method, headers, duplex: 'half' } as RequestInit)
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause
      throw new RuntimeFailure(`cannot reach the Quiver server at ${this.url} to ${what}: ${errorMessage(cause ?? err)}`, {}, { cause: err })
    }
    if (!res.ok) throw errorFromResponse(res.status, await res.text(), what)
    return res
  }
}

/** A reference as one path segment: `#`, `@`, `:` and `/` percent-encoded. */
function enc(s: string): string {
  return encodeURIComponent(s)
}

function inferBody(input: InferInput): { type: string; body: BodyInit } {
  switch (input.kind) {
    case 'table': return { type: ARROW_STREAM, body: tableToIPC(input.table, 'stream') as Uint8Array<ArrayBuffer> }
    case 'json': return { type: 'application/json', body: JSON.stringify(input.value) }
    case 'arrow': return { type: ARROW_STREAM, body: input.bytes as Uint8Array<ArrayBuffer> }
    case 'parquet': return { type: 'application/vnd.apache.parquet', body: input.bytes as Uint8Array<ArrayBuffer> }
    case 'csv': return { type: 'text/csv', body: input.text }
  }
}
