/** Other registries over HTTP: every `RegistryApi` call becomes a request to `/v1/registries…`. */
import type { ScopeOptions } from '../api/quiver-api.js'
import type { AddRegistryRequest, ExternalModel, ExternalRegistry, ExternalVersion, ImportRequest, RegistryApi } from '../api/registry-api.js'
import { InvalidInput } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'
import type { JsonRequest, ScopeQuery } from './remote-feature-api.js'

const JSON_BODY = { 'content-type': 'application/json' }
const enc = encodeURIComponent

export class RemoteRegistryApi implements RegistryApi {
  constructor(private readonly json: JsonRequest, private readonly query: ScopeQuery) {}

  add(req: AddRegistryRequest, opts: ScopeOptions = {}): Promise<ExternalRegistry> {
    return this.json('POST', `/v1/registries${this.query(opts)}`, `add registry ${req.name}`, { headers: JSON_BODY, body: JSON.stringify(req) })
  }

  list(opts: ScopeOptions = {}): Promise<ExternalRegistry[]> {
    return this.json('GET', `/v1/registries${this.query(opts)}`, 'list registries')
  }

  models(registry: string, opts: ScopeOptions = {}): Promise<ExternalModel[]> {
    return this.json('GET', `/v1/registries/${enc(registry)}/models${this.query(opts)}`, `list the models of registry ${registry}`)
  }

  versions(registry: string, model: string, opts: ScopeOptions = {}): Promise<ExternalVersion[]> {
    return this.json('GET', `/v1/registries/${enc(registry)}/models/${enc(model)}/versions${this.query(opts)}`, `list the versions of ${registry}/${model}`)
  }

  importVersion(req: ImportRequest, opts: ScopeOptions = {}): Promise<VersionRecord> {
    const parts = req.from.split('/')
    if (parts.length !== 3 || parts.some((p) => p === '')) {
      throw new InvalidInput(`--from-registry expects REGISTRY/MODEL/VERSION, got ${JSON.stringify(req.from)}`, { field: 'from_registry', got: req.from })
    }
    const [registry, model, version] = parts.map(enc)
    const body = {
      name: req.name, tags: req.tags, description: req.description, metadata: req.metadata,
      input_schema: req.inputSchema, output_schema: req.outputSchema, trust: req.trust,
    }
    return this.json('POST', `/v1/registries/${registry}/models/${model}/versions/${version}/import${this.query(opts)}`, `import ${req.from}`, {
      headers: JSON_BODY, body: JSON.stringify(body),
    })
  }
}
