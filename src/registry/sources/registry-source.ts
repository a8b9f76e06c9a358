/** What Quiver reads from another registry: its models, their versions, and one version to import. */
import type { ModelSchema } from '../../data/schema.js'
import type { Framework } from '../../records/frameworks.js'

import type { ExternalModel, ExternalVersion } from '../../records/external-registry.js'

export { REGISTRY_TYPES, type ExternalModel, type ExternalVersion, type RegistryType } from '../../records/external-registry.js'

/** One version as fetched for import: its artifact as a stream, and what the registry says of it. */
export interface FetchedVersion {
  framework: Framework
  input_schema: ModelSchema | null
  output_schema: ModelSchema | null
  description: string | null
  /** Where the artifact came from (the registry's own URI for it). */
  uri: string
  /** What the registry keeps of the version beyond its schemas (flavors, run id, tags). */
  metadata: Record<string, unknown>
  file: { fileName: string; stream: AsyncIterable<Uint8Array> }
}

export interface RegistrySource {
  models(): Promise<ExternalModel[]>
  versions(model: string): Promise<ExternalVersion[]>
  fetchVersion(model: string, version: string): Promise<FetchedVersion>
}
