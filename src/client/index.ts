/**
 * The Quiver SDK: talks to a Quiver server over HTTP and loads no native code.
 *
 * @example
 * import { Quiver } from 'quiver/client'
 * const quiver = new Quiver({ url: 'http://127.0.0.1:8080', token: process.env.QUIVER_TOKEN })
 * await quiver.uploadModel('iris', './model.onnx', { framework: 'onnx', tags: ['production'] })
 * const model = await quiver.getModel('iris')
 * console.log(model.versions.map((v) => `${v.seq} ${v.status}`))
 * const result = await quiver.infer('iris@production', [{ features: [5.1, 3.5, 1.4, 0.2] }])
 * console.log(result.getChild('out.species_probs')?.toJSON())
 */
import { Table } from 'apache-arrow'
import type { PipelineApi } from '../api/pipeline-api.js'
import type { InferInput, ScopeOptions } from '../api/quiver-api.js'
import type { ModelSchema } from '../data/schema.js'
import type { Arch, Framework } from '../records/frameworks.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'
import { RemoteQuiverApi, type RemoteQuiverOptions } from './remote-api.js'

import type { JobsApi } from '../api/jobs-api.js'
export { RemoteQuiverApi, type RemoteQuiverOptions } from './remote-api.js'
export { errorFromResponse } from './errors.js'
export {
  QuiverError, NotFound, InvalidInput, Conflict, Unauthorized, RuntimeFailure, Unsupported, NotReady, TooLarge, isQuiverError,
  type ErrorCode,
} from '../errors.js'
export type { QuiverApi, UploadRequest, UploadSource, InferInput, ScopeOptions } from '../api/quiver-api.js'
export type { FeatureApi, FeatureSetRecord, AppliedFeatureSet, FeatureSetDefinition } from '../api/feature-api.js'
export type { AuthApi, CreatedToken, TokenInfo, Role } from '../api/auth-api.js'
export type { JobsApi, JobRecord, JobState, ListJobsRequest } from '../api/jobs-api.js'
export type { PipelineApi, PipelineRecord, PipelineStep, PipelineValidation, DeploymentRecord, DeployRequest, LogsRequest } from '../api/pipeline-api.js'
export type { ModelSchema, SchemaField, FieldType } from '../data/schema.js'
export type { ModelSummary, VersionRecord } from '../records/version-record.js'

export interface UploadOptions {
  framework: Framework
  inputSchema?: ModelSchema
  outputSchema?: ModelSchema
  tags?: string[]
  /** Free-form JSON stored with the version. */
  metadata?: Record<string, unknown>
  description?: string
  /** Extra files stored with the version, by name → local path. */
  files?: Record<string, string>
  tensorFields?: string[]
  arch?: Arch
  accel?: string
  /** Return at once with status `pending_conversion` instead of waiting for `ready`. */
  noWait?: boolean
  trust?: boolean
  workspace?: string
}

/** A model and all its versions, oldest first. */
export interface Model {
  name: string
  workspace: string
  versions: VersionRecord[]
  /** The newest ready version (what `name` alone refers to), if any. */
  latest: VersionRecord | undefined
  /** tag → seq of the version it names. */
  tags: Record<string, number>
}

/** Rows as `[{field: value}]`, columns as `{columns: {field: [values]}}`, or an Arrow table. */
export type InferData = Table | Record<string, unknown>[] | { columns: Record<string, unknown[]> }

export class Quiver {
  readonly api: RemoteQuiverApi

  constructor(opts: RemoteQuiverOptions) {
    this.api = new RemoteQuiverApi(opts)
  }

  /** Feature sets and models as features: apply, list, show, fetch (SPEC §7). */
  get features(): RemoteQuiverApi['features'] {
    return this.api.features
  }

  /** Pipelines and deployments (SPEC §8): create, deploy, infer, swap-step, validations, logs. */
  get pipelines(): PipelineApi {
    return this.api.pipelines
  }

  /** Long work as jobs of the workspace (conversion, materialization, training, evaluation): list, get, cancel, wait. */
  get jobs(): JobsApi {
    return this.api.jobs
  }

  /** Uploads a model file as a new version of `name`; resolves once its status is final (unless `noWait`). */
  uploadModel(name: string, path: string, opts: UploadOptions): Promise<VersionRecord> {
    return this.api.uploadModel({
      name,
      source: { path },
      framework: opts.framework,
      workspace: opts.workspace,
      inputSchema: opts.inputSchema,
      outputSchema: opts.outputSchema,
      tags: opts.tags,
      metadata: opts.metadata,
      description: opts.description,
      additionalFiles: opts.files && Object.fromEntries(Object.entries(opts.files).map(([k, p]) => [k, { path: p }])),
      tensorFields: opts.tensorFields,
      arch: opts.arch,
      accel: opts.accel,
      noWait: opts.noWait,
      trust: opts.trust,
    })
  }

  async getModel(name: string, opts: ScopeOptions = {}): Promise<Model> {
    const versions = await this.api.listVersions(name, opts)
    const ready = versions.filter((v) => v.status === 'ready')
    const tags: Record<string, number> = {}
    for (const v of versions) for (const t of v.tags) tags[t] = v.seq
    return { name, workspace: versions[0]?.workspace ?? opts.workspace ?? 'default', versions, latest: ready.at(-1), tags }
  }

  /** One version by reference: `name`, `name@tag`, `name:uuid`, `name#seq`. */
  getVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.api.getVersion(ref, opts)
  }

  listModels(opts: ScopeOptions = {}): Promise<ModelSummary[]> {
    return this.api.listModels(opts)
  }

  tag(ref: string, tag: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.api.tag(ref, tag, opts)
  }

  untag(name: string, tag: string, opts: ScopeOptions = {}): Promise<void> {
    return this.api.untag(name, tag, opts)
  }

  /** Runs a version on rows, columns or a table; returns the result table (time, in.*, out.*, anomaly.*). */
  infer(ref: string, data: InferData, opts: ScopeOptions = {}): Promise<Table> {
    const input: InferInput = data instanceof Table ? { kind: 'table', table: data } : { kind: 'json', value: data }
    return this.api.infer(ref, input, opts)
  }

  close(): Promise<void> {
    return this.api.close()
  }
}
