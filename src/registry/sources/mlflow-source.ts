/**
 * An MLflow tracking server's model registry over its REST API 2.0: registered-models/search,
 * model-versions/search, model-versions/get-download-uri, and the artifact proxy
 * (`mlflow-artifacts:` URIs) to list and download the model folder. The `MLmodel` file gives the
 * flavor (→ framework) and the signature (→ schemas).
 */
import { InvalidInput, NotFound, RuntimeFailure } from '../../errors.js'
import { planMlmodel, parseMlmodelYaml } from './mlmodel.js'
import { getJson, getStream, getText, type RegistryTarget } from './registry-http.js'
import type { ExternalModel, ExternalVersion, FetchedVersion, RegistrySource } from './registry-source.js'

const API = '/api/2.0/mlflow'
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts'

interface MlflowVersion {
  name: string
  version: string
  creation_timestamp?: number
  current_stage?: string
  description?: string
  source?: string
  run_id?: string
  status?: string
  tags?: { key: string; value: string }[]
}

interface MlflowModel {
  name: string
  description?: string
  last_updated_timestamp?: number
  latest_versions?: MlflowVersion[]
}

const iso = (ms: number | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null)
const q = (params: Record<string, string>) => new URLSearchParams(params).toString()

export class MlflowSource implements RegistrySource {
  constructor(private readonly target: RegistryTarget) {}

  async models(): Promise<ExternalModel[]> {
    const out: ExternalModel[] = []
    let token = ''
    do {
      const page = await getJson<{ registered_models?: MlflowModel[]; next_page_token?: string }>(
        this.target, `${API}/registered-models/search?${q({ max_results: '1000', ...(token ? { page_token: token } : {}) })}`, 'the list of registered models',
      )
      for (const m of page.registered_models ?? []) {
        const latest = (m.latest_versions ?? []).map((v) => Number(v.version)).sort((a, b) => b - a)[0]
        out.push({ name: m.name, description: m.description || null, latest_version: latest === undefined ? null : String(latest), updated_at: iso(m.last_updated_timestamp) })
      }
      token = page.next_page_token ?? ''
    } while (token)
    return out
  }

  async versions(model: string): Promise<ExternalVersion[]> {
    await getJson(this.target, `${API}/registered-models/get?${q({ name: model })}`, `model '${model}'`)
    const out: ExternalVersion[] = []
    let token = ''
    do {
      const page = await getJson<{ model_versions?: MlflowVersion[]; next_page_token?: string }>(
        this.target, `${API}/model-versions/search?${q({ filter: `name='${model.replace(/'/g, "\\'")}'`, max_results: '1000', ...(token ? { page_token: token } : {}) })}`, `the versions of model '${model}'`,
      )
      for (const v of page.model_versions ?? []) {
        out.push({ model: v.name, version: v.version, status: v.status ?? null, framework: null, description: v.description || null, created_at: iso(v.creation_timestamp) })
      }
      token = page.next_page_token ?? ''
    } while (token)
    return out.sort((a, b) => Number(a.version) - Number(b.version))
  }

  async fetchVersion(model: string, version: string): Promise<FetchedVersion> {
    const what = `model '${model}' version '${version}'`
    const { model_version: mv } = await getJson<{ model_version: MlflowVersion }>(this.target, `${API}/model-versions/get?${q({ name: model, version })}`, what)
    const { artifact_uri: uri } = await getJson<{ artifact_uri: string }>(this.target, `${API}/model-versions/get-download-uri?${q({ name: model, version })}`, `the download URI of ${what}`)
    const root = artifactPath(uri)
    const files = await this.#list(root)
    if (!files.includes('MLmodel')) throw new InvalidInput(`${what} in registry '${this.target.name}' has no MLmodel file at ${uri} (found: ${files.slice(0, 10).join(', ') || 'nothing'})`, { field: 'from_registry' })
    const plan = planMlmodel(parseMlmodelYaml(await getText(this.target, `${ARTIFACTS}/${encodePath(`${root}/MLmodel`)}`, `the MLmodel of ${what}`)))
    const file = plan.file ?? 'MLmodel'
    if (!files.includes(file)) throw new InvalidInput(`${what}: its MLmodel names ${file}, which is not among its artifacts (${files.slice(0, 10).join(', ')})`, { field: 'from_registry' })
    return {
      framework: plan.framework,
      input_schema: plan.input_schema,
      output_schema: plan.output_schema,
      description: mv.description || null,
      uri,
      metadata: {
        mlflow: {
          flavors: plan.flavors, run_id: mv.run_id ?? null, stage: mv.current_stage ?? null, source: mv.source ?? null,
          tags: Object.fromEntries((mv.tags ?? []).map((t) => [t.key, t.value])),
          ...(plan.feature_names ? { feature_names: plan.feature_names } : {}),
          ...(plan.unsupported ? { unsupported: plan.unsupported } : {}),
        },
      },
      file: { fileName: file.split('/').pop()!, stream: await getStream(this.target, `${ARTIFACTS}/${encodePath(`${root}/${file}`)}`, `${file} of ${what}`) },
    }
  }

  /** Every file under the model folder, relative to it (folders walked, at most 1000 entries). */
  async #list(root: string): Promise<string[]> {
    const out: string[] = []
    const walk = async (rel: string): Promise<void> => {
      const path = rel ? `${root}/${rel}` : root
      const { files } = await getJson<{ files?: { path: string; is_dir: boolean }[] }>(this.target, `${ARTIFACTS}?${q({ path })}`, `the artifacts under ${path}`)
      for (const f of files ?? []) {
        if (out.length >= 1000) throw new RuntimeFailure(`the model folder ${root} has over 1000 files`)
        const name = f.path.split('/').pop()!
        const child = rel ? `${rel}/${name}` : name
        if (f.is_dir) await walk(child)
        else out.push(child)
      }
    }
    await walk('')
    return out
  }
}

/** `mlflow-artifacts:/0/abc/artifacts/model` or `mlflow-artifacts://host/…` → the proxied path `0/abc/artifacts/model`. */
function artifactPath(uri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+?)\/?$/.exec(uri)
  if (!m) throw new NotFound(`artifact URI ${uri} is not served by the tracking server's artifact proxy (mlflow-artifacts:); Quiver imports only those`, { got: uri })
  return m[1]!
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/')
}
