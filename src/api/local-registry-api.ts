/** Other registries in process: rows in `model_registries`, sources over HTTP, imports through the one upload path. */
import { Conflict, InvalidInput, NotFound, Unsupported } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'
import { assertValidName } from '../registry/names.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import { MlflowSource } from '../registry/sources/mlflow-source.js'
import { QuiverSource } from '../registry/sources/quiver-source.js'
import { REGISTRY_TYPES, type RegistrySource } from '../registry/sources/registry-source.js'
import type { SqlDriver } from '../store/driver.js'
import { SqlFeatureSetStore } from '../store/sql-feature-set-store.js'
import { SqlModelRegistryStore, type StoredModelRegistry } from '../store/model-registry-store.js'
import type { ScopeOptions, UploadRequest } from './quiver-api.js'
import type { AddRegistryRequest, ExternalModel, ExternalRegistry, ExternalVersion, ImportRequest, RegistryApi } from './registry-api.js'

export class LocalRegistryApi implements RegistryApi {
  readonly #store: SqlModelRegistryStore
  readonly #lineage: SqlFeatureSetStore

  constructor(driver: SqlDriver, private readonly upload: (req: UploadRequest) => Promise<VersionRecord>) {
    this.#store = new SqlModelRegistryStore(driver)
    this.#lineage = new SqlFeatureSetStore(driver)
  }

  async add(req: AddRegistryRequest, opts: ScopeOptions = {}): Promise<ExternalRegistry> {
    assertValidName(req.name, 'registry')
    if (!(REGISTRY_TYPES as readonly string[]).includes(req.type)) {
      throw new InvalidInput(`unknown registry type '${req.type}'; expected ${REGISTRY_TYPES.join(' or ')}`, { field: 'type', expected: REGISTRY_TYPES.join(' | '), got: String(req.type) })
    }
    let url: URL
    try {
      url = new URL(req.url)
    } catch {
      throw new InvalidInput(`registry URL ${JSON.stringify(req.url)} is not a URL; expected e.g. http://127.0.0.1:5000`, { field: 'url', got: req.url })
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInput(`registry URL ${JSON.stringify(req.url)} must start with http:// or https://`, { field: 'url', got: req.url })
    if (req.token_env !== undefined && (typeof req.token_env !== 'string' || !ENV_NAME.test(req.token_env))) {
      throw new InvalidInput(`token_env must name an environment variable (letters, digits, _), got ${JSON.stringify(req.token_env)}`, { field: 'token_env', expected: 'e.g. PEER_TOKEN', got: String(req.token_env) })
    }
    const workspace = opts.workspace ?? DEFAULT_WORKSPACE
    const added = await this.#store.add({ workspace, name: req.name, type: req.type, url: url.href.replace(/\/+$/, ''), token_env: req.token_env ?? null })
    if (!added) throw new Conflict(`workspace '${workspace}' already has a registry named '${req.name}'`)
    return added
  }

  list(opts: ScopeOptions = {}): Promise<ExternalRegistry[]> {
    return this.#store.list(opts.workspace ?? DEFAULT_WORKSPACE)
  }

  async models(registry: string, opts: ScopeOptions = {}): Promise<ExternalModel[]> {
    return (await this.#source(registry, opts)).source.models()
  }

  async versions(registry: string, model: string, opts: ScopeOptions = {}): Promise<ExternalVersion[]> {
    return (await this.#source(registry, opts)).source.versions(model)
  }

  async importVersion(req: ImportRequest, opts: ScopeOptions = {}): Promise<VersionRecord> {
    const parts = req.from.split('/')
    if (parts.length !== 3 || parts.some((p) => p === '')) {
      throw new InvalidInput(`--from-registry expects REGISTRY/MODEL/VERSION, got ${JSON.stringify(req.from)}`, { field: 'from_registry', expected: 'REGISTRY/MODEL/VERSION', got: req.from })
    }
    const [registry, model, version] = parts as [string, string, string]
    const { row, source } = await this.#source(registry, opts)
    const progress = req.onProgress ?? (() => {})
    progress(`fetching ${model} version ${version} from ${row.type} registry '${registry}' (${row.url})`)
    const fetched = await source.fetchVersion(model, version)
    const v = await this.upload({
      name: req.name,
      workspace: opts.workspace,
      framework: fetched.framework,
      source: { stream: fetched.file.stream, fileName: fetched.file.fileName },
      inputSchema: req.inputSchema ?? fetched.input_schema ?? undefined,
      outputSchema: req.outputSchema ?? fetched.output_schema ?? undefined,
      description: req.description ?? fetched.description ?? undefined,
      metadata: { ...fetched.metadata, ...req.metadata, source: { registry, type: row.type, model, version, uri: fetched.uri } },
      tags: req.tags,
      trust: req.trust,
      onProgress: progress,
    })
    await this.#lineage.addLineage([{ from_kind: 'registry_model_version', from_ref: `${registry}/${model}/${version}`, to_kind: 'model_version', to_ref: `${v.name}:${v.version}`, relation: 'imported_as' }])
    return v
  }

  async #source(name: string, opts: ScopeOptions): Promise<{ row: StoredModelRegistry; source: RegistrySource }> {
    const workspace = opts.workspace ?? DEFAULT_WORKSPACE
    const row = await this.#store.get(workspace, name)
    if (!row) throw new NotFound(`workspace '${workspace}' has no registry named '${name}'; add it with quiver registry add ${name} --type mlflow|quiver --url URL`)
    const target = { name: row.name, url: row.url, tokenEnv: row.token_env, headers: authHeaders(row) }
    return { row, source: row.type === 'mlflow' ? new MlflowSource(target) : new QuiverSource(target) }
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `Authorization: Bearer` from the registry's token variable, read at each call so a changed token is used at once. */
function authHeaders(row: StoredModelRegistry): Record<string, string> {
  if (!row.token_env) return {}
  const token = process.env[row.token_env]
  if (!token) {
    throw new Unsupported(`registry '${row.name}' takes its token from the environment variable ${row.token_env}, which is not set in the process calling it; set it where Quiver runs (the server, when using --server)`, { registry: row.name, token_env: row.token_env })
  }
  return { authorization: `Bearer ${token}` }
}
