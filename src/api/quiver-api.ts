import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import type { ModelSchema } from '../data/schema.js'
import type { Arch, Framework } from '../records/frameworks.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'
import type { AuthApi } from './auth-api.js'
import type { EvaluationApi } from './evaluation-api.js'
import type { JobsApi } from './jobs-api.js'
import type { TrainingApi } from './training-api.js'
import type { FeatureApi } from './feature-api.js'
import type { PipelineApi } from './pipeline-api.js'
import type { RegistryApi } from './registry-api.js'

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

export interface ConvertOptions extends ScopeOptions {
  /** Tags to set once the version is ready. */
  tags?: string[]
  onProgress?: (message: string) => void
}

/**
 * The one core. The CLI, REST and V2 handlers and the SDK all speak this interface; `LocalQuiverApi`
 * runs it in process, `RemoteQuiverApi` over HTTP.
 */
export interface QuiverApi {
  /** Feature sets and models as features (SPEC §7). */
  readonly features: FeatureApi
  /** Pipelines and deployments (SPEC §8). */
  readonly pipelines: PipelineApi
  /** API tokens: the home's own, or a server's over `/v1/tokens`. */
  readonly auth: AuthApi
  /** Test suites, evaluation, comparison and promotion (SPEC §9). */
  readonly evaluation: EvaluationApi
  /** Other registries to import from (SPEC §10). */
  readonly registries: RegistryApi
  /** Training jobs that register new versions with metadata.training and lineage (SPEC §9). */
  readonly training: TrainingApi
  /** Long work as jobs of the workspace: list, show, cancel, wait (SPEC §11). */
  readonly jobs: JobsApi
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
  /** The ready version a reference names now, as inference resolves it (cached); NotReady when not ready. */
  readyVersion(ref: string, opts?: ScopeOptions): Promise<VersionRecord>
  /** Runs a version `readyVersion` returned, without resolving it again. */
  inferVersion(version: VersionRecord, input: InferInput): Promise<Table>
  /** Converts a version left in `pending_conversion` (by an upload with `noWait` in another process). */
  convertPending(ref: string, opts?: ConvertOptions): Promise<VersionRecord>
  /** The version's main artifact, as uploaded (what another Quiver imports). */
  downloadArtifact(ref: string, opts?: ScopeOptions): Promise<ArtifactDownload>
  close(): Promise<void>
}

export interface ArtifactDownload {
  version: VersionRecord
  stream: AsyncIterable<Uint8Array>
}
