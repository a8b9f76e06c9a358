/**
 * REST online features: `/v1/features/{set}/fetch` (GET with keys as query parameters, POST with
 * `{"keys": …, "features": […]}`), `/v1/features/{set}/schema` (the Avro schema of a response),
 * `/v1/features/{set}/materialize` and `/v1/models/{ref}/fetch-inference`. Fetch answers come from
 * feature-fetch-answer.ts, which the fast lane shares.
 */
import { Hono } from 'hono'
import { fetchAvroSchema } from '../../features/avro.js'
import { respond } from '../answer.js'
import { parseJson, readBody } from '../body.js'
import { asJob, requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'
import { featureFetchAnswer, featureList, fetchInferenceAnswer } from './feature-fetch-answer.js'

export function featureFetchRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.get('/features/:set/fetch', async (c) => respond(c, await featureFetchAnswer(api, c.req.param('set'), scopeOf(c), {
    method: 'GET', query: Object.entries(c.req.query()), accept: c.req.header('accept'), body: new Uint8Array(0),
  })))

  app.post('/features/:set/fetch', async (c) => respond(c, await featureFetchAnswer(api, c.req.param('set'), scopeOf(c), {
    method: 'POST', query: [], accept: c.req.header('accept'), body: await readBody(c.req.raw, limits.maxBodyBytes),
  })))

  app.get('/features/:set/schema', async (c) => {
    const record = await api.features.show(c.req.param('set'), scopeOf(c))
    return c.json(fetchAvroSchema(record, featureList(c.req.query('features'))))
  })

  app.post('/features/:set/materialize', async (c) => {
    requireRole(c, 'editor', 'materialize feature sets')
    const bytes = await readBody(c.req.raw, limits.maxBodyBytes)
    const body = bytes.byteLength ? parseJson(bytes, 'the materialize request') as Record<string, unknown> : {}
    const pick = (k: string) => (body[k] ?? c.req.query(k)) as string | number | undefined
    const opts = { ...scopeOf(c), start: pick('start'), end: pick('end') }
    if (asJob(c)) return c.json(await api.jobs.materialize(c.req.param('set'), opts), 202)
    return c.json(await api.features.materialize(c.req.param('set'), opts))
  })

  app.post('/models/:ref/fetch-inference', async (c) => {
    const ref = c.req.param('ref')
    c.set('model', ref)
    const body = await readBody(c.req.raw, limits.maxBodyBytes)
    return respond(c, await fetchInferenceAnswer(api, ref, scopeOf(c, ref), { accept: c.req.header('accept'), body }))
  })

  return app
}
