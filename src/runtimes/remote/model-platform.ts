/**
 * A platform that runs models elsewhere (Chronon's `ModelPlatform`): Quiver hands it rows and gets
 * rows back, may ask it to stand up an endpoint, or to train. `v2` (the Open Inference Protocol),
 * `mlflow` (MLflow's scoring protocol) and `json` (Quiver-style JSON columns) are built in; a user
 * adds one with `registerModelPlatform` and uploads with `--protocol <its name>`.
 */
import type { Table } from 'apache-arrow'
import type { ModelSchema } from '../../data/schema.js'
import type { EndpointSpec } from './endpoint.js'
import type { RemoteCall } from './remote-call.js'

export interface FetchInferenceRequest {
  endpoint: EndpointSpec
  /** The rows, validated against `inputSchema`. */
  input: Table
  inputSchema: ModelSchema
  outputSchema: ModelSchema
  /** JSON over HTTP with the endpoint's timeout, retries and breaker. */
  call: RemoteCall
  signal?: AbortSignal
}

export interface EndpointSchemas {
  input_schema: ModelSchema
  output_schema: ModelSchema
}

export interface CreateEndpointRequest {
  /** The model's name on the platform. */
  name: string
  /** Where the platform finds the model (its own URI scheme). */
  modelUri: string
  config?: Record<string, unknown>
}

export interface TrainingJobRequest {
  name: string
  /** The training data (a URI the platform reads). */
  dataUri: string
  config?: Record<string, unknown>
}

export interface TrainingJob {
  id: string
  status: string
}

export interface ModelPlatform {
  readonly name: string
  /**
   * Runs the rows on the endpoint. Answers an Arrow table or an object of columns by output field
   * name; Quiver checks rows and types against the output schema afterwards.
   */
  fetchInference(req: FetchInferenceRequest): Promise<unknown>
  /** The endpoint's schemas when the user gave none (a V2 peer's model metadata); null when it cannot tell. */
  describeEndpoint?(endpoint: EndpointSpec, call: RemoteCall): Promise<EndpointSchemas | null>
  /** Stands up an endpoint for a model the platform holds; answers how to reach it. */
  createInferenceEndpoint?(req: CreateEndpointRequest): Promise<Partial<EndpointSpec> & { url: string }>
  /** Starts training on the platform. */
  launchModelTrainingJob?(req: TrainingJobRequest): Promise<TrainingJob>
}
