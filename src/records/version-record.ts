import type { ModelSchema } from '../data/schema.js'
import type { Arch, Framework, RuntimeKind, VersionStatus } from './frameworks.js'

/**
 * One model version exactly as SPEC §1 names its fields: this object is what `--json`, REST
 * and the SDK return, and what the metadata store reads and writes.
 */
export interface VersionRecord {
  id: number
  version: string
  seq: number
  name: string
  workspace: string
  file_name: string
  sha256: string
  size_bytes: number
  framework: Framework
  runtime: RuntimeKind
  status: VersionStatus
  error_message: string | null
  input_schema: ModelSchema | null
  output_schema: ModelSchema | null
  arch: Arch
  accel: string
  image_path: string | null
  description: string | null
  metadata: Record<string, unknown>
  tags: string[]
  additional_files: Record<string, string>
  /** How the version is loaded (e.g. `tensor_fields`, artifact kind); not user metadata. */
  config: VersionConfig
  created_at: string
  last_update_time: string
}

export interface VersionConfig {
  /** Renames the model's inputs, in graph order (Wallaroo's `tensor_fields`). */
  tensor_fields?: string[]
  /** Which runtime serves the version and why it was picked. */
  runtime_detail?: string
  /** Artifact is a zip extracted to a folder before loading. */
  archive?: boolean
  trusted?: boolean
  /** How the runtime feeds the model: rows batched along one axis, or whole tensors per call. */
  serving?: ServingMode
  /** Set by a deployment: onnxruntime intra-op threads, Python worker processes. */
  intra_op_threads?: number
  workers?: number
  /** The native conversion stored at conversion time, loaded later without Python. */
  converted?: ConvertedArtifact
  [key: string]: unknown
}

export interface ConvertedArtifact {
  sha256: string
  kind: string
  size_bytes: number
  summary: string
}

/**
 * `batch`: every input and output shares a first axis of rows, so rows run together (`fixed_batch`
 * rows at a time when the graph fixes that axis). `tensor`: they do not (weights, shapes, scalars,
 * outputs of their own length), so each row is one call whose fields hold whole tensors, as Triton
 * serves models with `max_batch_size: 0`; `reason` says which tensor broke the row axis.
 */
export type ServingMode = { mode: 'batch'; fixed_batch?: number } | { mode: 'tensor'; reason: string }

export interface ModelSummary {
  name: string
  workspace: string
  versions: number
  latest_seq: number | null
  latest_version: string | null
  framework: Framework
  tags: string[]
  created_at: string
  last_update_time: string
}
