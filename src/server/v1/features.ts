/** REST `/v1/features…`: feature-set definitions, as the `quiver features` commands. */
import { Hono } from 'hono'
import { InvalidInput } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

export function featureRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()

  app.get('/features', async (c) => c.json(await api.features.list(scopeOf(c))))

  app.post('/features', async (c) => {
    requireRole(c, 'editor', 'apply feature sets')
    const body = parseJson(await readBody(c.req.raw, limits.maxBodyBytes), 'the feature-set definitions')
    const defs = Array.isArray(body) ? body : [body]
    const applied = await api.features.apply(defs, scopeOf(c))
    return c.json(applied, applied.some((a) => a.changed) ? 201 : 200)
  })

  app.get('/features/:set', async (c) => {
    const v = c.req.query('version')
    if (v !== undefined && !/^[1-9][0-9]{0,9}$/.test(v)) throw new InvalidInput(`version must be a positive integer, got ${JSON.stringify(v)}`, { field: 'version', got: v })
    return c.json(await api.features.show(c.req.param('set'), { ...scopeOf(c), version: v === undefined ? undefined : Number(v) }))
  })

  return app
}
