import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import type { ModelSchema } from '../data/schema.js'
import type { Arch, Framework } from '../registry/frameworks.js'
import type { ModelSummary, VersionRecord } from '../registry/version-record.js'
import type { FeatureApi } from './feature-api.js'

export type UploadSource =
  | { path: string }
  | { stream: AsyncIterable<Uint8Array> | NodeJS.ReadableStream; fileName: string }

export interface UploadRequest {
  name: string
  source: UploadSource
  framework: Framework
  workspace?: string
  inputSchema?: ModelSchema
  outputSchema?: ModelSchema
  tags?: string[]
  description?: string
  metadata?: Record<string, unknown>
  /** Extra files by name (e.g. a vocabulary), stored as blobs beside the artifact. */
  additionalFiles?: Record<string, UploadSource>
  tensorFields?: string[]
  arch?: Arch
  accel?: string
  /** Return at once with status `pending_conversion`; conversion goes on in the background. */
  noWait?: boolean
  /** Load pickles whose globals fall outside the safe allow-list. */
  trust?: boolean
  /** Progress lines (conversion steps) as they happen. */
  onProgress?: (message: string) => void
}

export type { InferInput } from '../data/infer-input.js'

export interface ScopeOptions {
  workspace?: string
}

/**
 * The one core. The CLI, REST and V2 handlers and the SDK all speak this interface; `LocalQuiverApi`
 * runs it in process, `RemoteQuiverApi` over HTTP.
 */
export interface QuiverApi {
  /** Feature sets and models as features (SPEC §7). */
  readonly features: FeatureApi
  uploadModel(req: UploadRequest): Promise<VersionRecord>
  listModels(opts?: ScopeOptions): Promise<ModelSummary[]>
  listVersions(name: string, opts?: ScopeOptions): Promise<VersionRecord[]>
  /** Resolves a reference (`name`, `name@tag`, `name:uuid`, `name#seq`, `ws/…`). */
  getVersion(ref: string, opts?: ScopeOptions): Promise<VersionRecord>
  /** Waits until the version's status is final (`ready` or `error`). */
  waitForVersion(ref: string, opts?: ScopeOptions & { timeoutMs?: number }): Promise<VersionRecord>
  tag(ref: string, tag: string, opts?: ScopeOptions): Promise<VersionRecord>
  untag(name: string, tag: string, opts?: ScopeOptions): Promise<void>
  /** Runs the version on the input; returns SPEC §4's result table (time, in.*, out.*, anomaly.*). */
  infer(ref: string, input: InferInput, opts?: ScopeOptions): Promise<Table>
  close(): Promise<void>
}
