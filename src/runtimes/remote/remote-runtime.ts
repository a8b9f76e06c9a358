/**
 * The `remote` runtime: a version whose artifact is an endpoint description (endpoint.json) runs
 * on that endpoint through its model platform. Schemas the user left out are read from the
 * endpoint where the platform can describe it (a V2 peer's model metadata).
 */
import { readFile } from 'node:fs/promises'
import * as arrow from 'apache-arrow'
import { toArrowSchema, type ModelSchema } from '../../data/schema.js'
import { errorMessage, InvalidInput, RuntimeFailure, Unsupported } from '../../errors.js'
import { answerTable } from '../answer-table.js'
import type { InferOptions, LoadableVersion, LoadContext, Runtime, Session, Support } from '../runtime.js'
import { CircuitBreaker } from './circuit-breaker.js'
import { parseEndpoint, type EndpointSpec } from './endpoint.js'
import type { ModelPlatform } from './model-platform.js'
import { loadEnvPlatforms, modelPlatform, platformNames } from './platforms.js'
import { remoteCall, type RemoteCall } from './remote-call.js'

export class RemoteRuntime implements Runtime {
  readonly name = 'remote'
  readonly kind = 'remote' as const
  /** One breaker per endpoint and setting, shared by every session of this process. */
  #breakers = new Map<string, CircuitBreaker>()

  supports(v: LoadableVersion): Support {
    if (v.framework !== 'remote') return { ok: false, reason: `the remote runtime serves framework remote, not ${v.framework}` }
    return { ok: true }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<Session> {
    let spec: EndpointSpec
    try {
      spec = parseEndpoint(JSON.parse(await readFile(await ctx.artifactPath(), 'utf8')))
    } catch (err) {
      throw new InvalidInput(`${v.file_name} is not a remote endpoint description: ${errorMessage(err)}`, { field: 'file', got: v.file_name })
    }
    if (!modelPlatform(spec.protocol)) await loadEnvPlatforms()
    const platform = modelPlatform(spec.protocol)
    if (!platform) throw new Unsupported(`remote protocol '${spec.protocol}' is not a model platform of this installation (known: ${platformNames().join(', ')})`)
    const label = `remote model ${v.name}:${v.version} (${spec.protocol} ${spec.url})`
    const call = remoteCall(spec, this.#breaker(spec), label)
    let input = v.input_schema
    let output = v.output_schema
    if (!input || !output) {
      if (!platform.describeEndpoint) throw new InvalidInput(`a ${spec.protocol} endpoint does not describe its schemas; give --input-schema and --output-schema`, { field: 'input_schema' })
      ctx.progress(`reading the schemas from ${spec.url}`)
      const described = await platform.describeEndpoint(spec, call)
      if (!described) throw new InvalidInput(`${spec.url} did not describe its schemas; give --input-schema and --output-schema`, { field: 'input_schema' })
      input ??= described.input_schema
      output ??= described.output_schema
    }
    ctx.progress(`remote endpoint ${spec.url} (${spec.protocol}; timeout ${spec.timeout_ms} ms, ${spec.retries} retries, breaker at ${spec.breaker_failures} failures)`)
    return new RemoteSession(platform, spec, call, input, output, label)
  }

  /** The breaker of an endpoint, for inspection (tests, status pages). */
  breakerFor(spec: EndpointSpec): CircuitBreaker {
    return this.#breaker(spec)
  }

  #breaker(spec: EndpointSpec): CircuitBreaker {
    const key = `${spec.url}|${spec.breaker_failures}|${spec.breaker_reset_ms}`
    let b = this.#breakers.get(key)
    if (!b) this.#breakers.set(key, (b = new CircuitBreaker(spec.breaker_failures, spec.breaker_reset_ms)))
    return b
  }
}

export class RemoteSession implements Session {
  #closed = false

  constructor(
    private readonly platform: ModelPlatform,
    private readonly spec: EndpointSpec,
    private readonly call: RemoteCall,
    readonly inputSchema: ModelSchema,
    readonly outputSchema: ModelSchema,
    private readonly label: string,
  ) {}

  async infer(input: arrow.Table, opts?: InferOptions): Promise<arrow.Table> {
    if (this.#closed) throw new RuntimeFailure(`${this.label} is closed`)
    if (input.numRows === 0) return new arrow.Table(toArrowSchema(this.outputSchema))
    const answer = await this.platform.fetchInference({
      endpoint: this.spec, input, inputSchema: this.inputSchema, outputSchema: this.outputSchema, call: this.call, signal: opts?.signal,
    })
    return answerTable(answer, this.outputSchema, input.numRows, this.label)
  }

  async close(): Promise<void> {
    this.#closed = true
  }
}
