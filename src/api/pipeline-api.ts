import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import type { ModelSchema } from '../data/schema.js'
import type { PipelineRecord, PipelineStep, PipelineValidation } from '../records/pipeline-record.js'
import type { ScopeOptions } from './quiver-api.js'

export type { DeploymentRecord, PipelineRecord, PipelineStep, PipelineValidation } from '../records/pipeline-record.js'

export interface DeployRequest {
  /** Sessions (or Python workers) per step; default 1. */
  replicas?: number
  /** onnxruntime intra-op threads; default 1. */
  cpus?: number
  /** Bytes or a size such as `1Gi`; default the machine's memory. Refused when the estimate exceeds it. */
  memory?: number | string
  /** Rows per batched run of a step; 1 turns batching off. */
  batchMaxRows?: number
  /** How long a step waits to fill a batch; 0 batches only requests that queue while it is busy. */
  batchDelayMs?: number
}

export interface LogsRequest extends ScopeOptions {
  since?: Date
  until?: Date
  limit?: number
}

/** Pipelines and deployments (SPEC §8): the same calls in process and over HTTP. */
export interface PipelineApi {
  /** A new pipeline, or a new version of it; each step's inputs must be given by the previous step's outputs. */
  create(name: string, steps: PipelineStep[], opts?: ScopeOptions): Promise<PipelineRecord>
  list(opts?: ScopeOptions): Promise<PipelineRecord[]>
  show(name: string, opts?: ScopeOptions): Promise<PipelineRecord>
  deploy(name: string, req?: DeployRequest, opts?: ScopeOptions): Promise<PipelineRecord>
  undeploy(name: string, opts?: ScopeOptions): Promise<PipelineRecord>
  /** SPEC §4's result table; a pipeline that is not deployed is refused. */
  infer(name: string, input: InferInput, opts?: ScopeOptions): Promise<Table>
  /** Replaces step `index` (0-based) with `ref`: a new version, switched to with no failed request. */
  swapStep(name: string, index: number, ref: string, opts?: ScopeOptions): Promise<PipelineRecord>
  validate(name: string, change: { add?: PipelineValidation[]; remove?: string[] }, opts?: ScopeOptions): Promise<PipelineRecord>
  logs(name: string, query?: LogsRequest): Promise<Table>
  /** Whether `name` is a deployed pipeline (V2 serves deployed pipelines as models of that name). */
  isDeployed(name: string, opts?: ScopeOptions): Promise<boolean>
  /** The first step's input schema of a deployed pipeline. */
  inputSchema(name: string, opts?: ScopeOptions): Promise<ModelSchema>
  /** The last step's output schema of a deployed pipeline. */
  outputSchema(name: string, opts?: ScopeOptions): Promise<ModelSchema>
}
