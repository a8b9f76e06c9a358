/** Other registries (SPEC §10): add one, browse its models and versions, import a version. */
import type { ModelSchema } from '../data/schema.js'
import type { VersionRecord } from '../records/version-record.js'
import type { ExternalModel, ExternalVersion, RegistryType } from '../records/external-registry.js'
import type { ScopeOptions } from './quiver-api.js'

export type { ExternalModel, ExternalVersion, RegistryType }

export interface ExternalRegistry {
  workspace: string
  name: string
  type: RegistryType
  url: string
  /** The environment variable its token is read from (by the process that calls it), or null. */
  token_env: string | null
  created_at: string
}

export interface AddRegistryRequest {
  name: string
  type: RegistryType
  url: string
  /**
   * For a registry that needs a token (a Quiver peer running `serve --auth`, an MLflow server
   * behind a bearer token): the environment variable holding it, read when the registry is called
   * and sent as `Authorization: Bearer …`. The token itself is never stored.
   */
  token_env?: string
}

export interface ImportRequest {
  /** The local model the imported version joins. */
  name: string
  /** `REGISTRY/MODEL/VERSION`. */
  from: string
  tags?: string[]
  description?: string
  /** Merged over what the registry keeps; `source` is always set by the import. */
  metadata?: Record<string, unknown>
  /** Instead of the schemas the registry gives (or where it gives none). */
  inputSchema?: ModelSchema
  outputSchema?: ModelSchema
  trust?: boolean
  onProgress?: (message: string) => void
}

export interface RegistryApi {
  add(req: AddRegistryRequest, opts?: ScopeOptions): Promise<ExternalRegistry>
  list(opts?: ScopeOptions): Promise<ExternalRegistry[]>
  models(registry: string, opts?: ScopeOptions): Promise<ExternalModel[]>
  versions(registry: string, model: string, opts?: ScopeOptions): Promise<ExternalVersion[]>
  /**
   * Imports the artifact, schemas and metadata of a version as a new version of `name`, with
   * `metadata.source` = {registry, model, version, uri} and a lineage edge from the registry's
   * version. A flavor Quiver cannot run is registered with status `error`.
   */
  importVersion(req: ImportRequest, opts?: ScopeOptions): Promise<VersionRecord>
}
