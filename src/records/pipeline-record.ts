/** Pipelines and deployments as SPEC §8 names them: what `--json`, REST and the SDK return. */

export interface PipelineStep {
  /** A model reference; a tag reference follows the tag. */
  ref: string
  /** Previous step's output name → this step's input name, for fields whose names differ. */
  map?: Record<string, string>
}

export interface PipelineValidation {
  name: string
  expression: string
}

export interface PipelineDefinition {
  steps: PipelineStep[]
  validations: PipelineValidation[]
}

export interface DeployConfig {
  /** Sessions (or Python workers) per step. */
  replicas: number
  /** onnxruntime intra-op threads per session. */
  cpus: number
  /** What the deployment may use, in bytes; refused when the estimate exceeds it. */
  memory_bytes: number
  /** Dynamic batching: at most this many rows per run of a step (1 turns batching off). */
  batch_max_rows: number
  /** How long a step waits for more requests before running a partial batch (0: only while busy). */
  batch_delay_ms: number
}

export interface DeploymentRecord extends DeployConfig {
  /** Memory the deployment is estimated to need, from its artifacts' sizes. */
  estimate_bytes: number
  deployed_at: string
}

export interface PipelineRecord extends PipelineDefinition {
  name: string
  workspace: string
  /** 1, 2, 3 … per pipeline; every change is a new version. */
  version: number
  /** UUID of this version. */
  version_id: string
  created_at: string
  /** Null when not deployed. */
  deployment: DeploymentRecord | null
}
