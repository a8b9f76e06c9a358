/**
 * Open Inference Protocol (KServe V2) under `/v2`. A model version in a path is a seq (`3`), a
 * version UUID or a tag; none means latest. `model_version` in answers is the seq.
 */
import type { ScopeOptions } from '../../api/quiver-api.js'
import type { VersionRecord } from '../../records/version-record.js'
import { Hono, type Context } from 'hono'
import { frameworkFacts } from '../../pipelines/framework-facts.js'
import { respond } from '../answer.js'
import { readBody } from '../body.js'
import { scopeOf, versionRef, type AppEnv, type ServerDeps } from '../context.js'
import { HEADER_LENGTH } from './binary.js'
import { metadataTensors } from './codec.js'
import { v2InferAnswer, v2Target } from './infer-answer.js'
import type { ModelMetadataResponse, ServerMetadataResponse } from './types.js'

export const SERVER_NAME = 'quiver'
export const SERVER_VERSION = '0.1.0'
export const V2_EXTENSIONS = ['binary_tensor_data'] as const

export function v2Routes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.get('/health/live', (c) => c.json({ live: true }))
  app.get('/health/ready', (c) => {
    const ready = deps.ready()
    return c.json({ ready }, ready ? 200 : 503)
  })
  app.get('/', (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [...V2_EXTENSIONS] } satisfies ServerMetadataResponse))

  const refOf = (c: Context<AppEnv>): string => {
    const name = c.req.param('name')!
    c.set('model', name)
    const version = c.req.param('version')
    return version === undefined ? name : versionRef(name, version)
  }

  const metadata = async (c: Context<AppEnv>) => {
    const ref = refOf(c)
    const scope = scopeOf(c, ref)
    const target = await pipelineOr(c, scope, () => api.getVersion(ref, scope))
    if (target.kind === 'pipeline') {
      const name = c.req.param('name')!
      const p = await api.pipelines.show(name, scope)
      return c.json({
        name, versions: [String(p.version)], platform: 'quiver_pipeline',
        inputs: metadataTensors(await api.pipelines.inputSchema(name, scope)),
        outputs: metadataTensors(await api.pipelines.outputSchema(name, scope)),
      } satisfies ModelMetadataResponse)
    }
    const v = target.version
    const versions = (await api.listVersions(v.name, scope)).filter((x) => x.status === 'ready').map((x) => String(x.seq))
    const body: ModelMetadataResponse = {
      name: v.name,
      versions,
      platform: frameworkFacts(v.framework).v2Platform,
      inputs: metadataTensors(v.input_schema, v.config.serving),
      outputs: metadataTensors(v.output_schema, v.config.serving),
    }
    return c.json(body)
  }

  // The protocol reads "ready" from the status code: 200 yes, 4xx no.
  const ready = async (c: Context<AppEnv>) => {
    const ref = refOf(c)
    const scope = scopeOf(c, ref)
    const target = await pipelineOr(c, scope, () => api.getVersion(ref, scope))
    if (target.kind === 'pipeline') return c.json({ name: c.req.param('name')!, ready: true })
    const v = target.version
    const isReady = v.status === 'ready'
    return c.json({ name: v.name, ready: isReady }, isReady ? 200 : 400)
  }

  const infer = async (c: Context<AppEnv>) => {
    const ref = refOf(c)
    const scope = scopeOf(c, ref)
    const target = await pipelineOr(c, scope, () => api.readyVersion(ref, scope))
    const body = await readBody(c.req.raw, limits.maxBodyBytes)
    return respond(c, await v2InferAnswer(api, { name: c.req.param('name')!, target, scope, body, headerLength: c.req.header(HEADER_LENGTH) }))
  }

  const pipelineOr = (c: Context<AppEnv>, scope: ScopeOptions, model: () => Promise<VersionRecord>) =>
    v2Target(api, c.req.param('name')!, c.req.param('version'), scope, model)

  for (const base of ['/models/:name', '/models/:name/versions/:version']) {
    app.get(base, metadata)
    app.get(`${base}/ready`, ready)
    app.post(`${base}/infer`, infer)
  }
  return app
}
