/**
 * Another Quiver server as a registry, over its `/v1`: the model list, a model's versions, and a
 * version's record (framework, schemas, metadata) with its artifact from `/v1/models/{ref}/artifact`.
 * A version is named by its seq (`3`), its UUID, or a tag.
 */
import type { ModelSummary, VersionRecord } from '../../records/version-record.js'
import { getJson, getStream, type RegistryTarget } from './registry-http.js'
import type { ExternalModel, ExternalVersion, FetchedVersion, RegistrySource } from './registry-source.js'

export class QuiverSource implements RegistrySource {
  constructor(private readonly target: RegistryTarget) {}

  async models(): Promise<ExternalModel[]> {
    const models = await getJson<ModelSummary[]>(this.target, '/v1/models', 'the model list')
    return models.map((m) => ({ name: m.name, description: null, latest_version: m.latest_seq ? String(m.latest_seq) : null, updated_at: m.last_update_time }))
  }

  async versions(model: string): Promise<ExternalVersion[]> {
    const versions = await getJson<VersionRecord[]>(this.target, `/v1/models/${encodeURIComponent(model)}/versions`, `model '${model}'`)
    return versions.map((v) => ({ model: v.name, version: String(v.seq), status: v.status, framework: v.framework, description: v.description, created_at: v.created_at }))
  }

  async fetchVersion(model: string, version: string): Promise<FetchedVersion> {
    const ref = /^\d+$/.test(version) ? `${model}#${version}` : /^[0-9a-f-]{36}$/.test(version) ? `${model}:${version}` : `${model}@${version}`
    const path = `/v1/models/${encodeURIComponent(ref)}`
    const v = await getJson<VersionRecord>(this.target, path, `model '${model}' version '${version}'`)
    return {
      framework: v.framework,
      input_schema: v.input_schema,
      output_schema: v.output_schema,
      description: v.description,
      uri: `${this.target.url.replace(/\/+$/, '')}/v1/models/${encodeURIComponent(`${v.name}:${v.version}`)}`,
      metadata: { ...v.metadata, quiver: { sha256: v.sha256, seq: v.seq, tags: v.tags } },
      file: { fileName: v.file_name, stream: await getStream(this.target, `/v1/models/${encodeURIComponent(`${v.name}:${v.version}`)}/artifact`, `the artifact of ${v.name}#${v.seq}`) },
    }
  }
}
