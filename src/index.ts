/**
 * Quiver's public door: the SDK (`Quiver`, over HTTP), the in-process core (`createLocalQuiver`),
 * the core interface, errors and schema helpers. `quiver/client` is the SDK alone, with no
 * native modules.
 *
 * @example
 * import { Quiver } from 'quiver'
 * const quiver = new Quiver({ url: 'http://127.0.0.1:8080' })
 * const table = await quiver.infer('iris@production', [{ features: [5.1, 3.5, 1.4, 0.2] }])
 */
export * from './client/index.js'
export { createLocalQuiver, type LocalQuiverOptions } from './api/create-local.js'
export type { LocalQuiverApi } from './api/local-api.js'
export type { QuiverApi, UploadRequest, UploadSource, ScopeOptions, InferInput } from './api/quiver-api.js'
export * from './errors.js'
export { parseSchema, toArrowSchema, fromArrowSchema, type ModelSchema, type SchemaField, type FieldType } from './data/schema.js'
export type { VersionRecord, ModelSummary } from './records/version-record.js'
export { defineFeatureSet, type FeatureSetDefinition, type FeatureDefinition, type InferenceSpec } from './features/definition.js'
export type { FeatureApi, FeatureSetRecord, AppliedFeatureSet } from './api/feature-api.js'
export { endpointSource, type RemoteEndpoint } from './api/remote-endpoint.js'
export { registerModelPlatform } from './runtimes/remote/platforms.js'
export type { ModelPlatform, FetchInferenceRequest } from './runtimes/remote/model-platform.js'
