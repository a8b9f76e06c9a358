/**
 * REST for offline features: `POST /v1/features/enrich`, `POST /v1/features/training-set` (files
 * as the serving process sees them, so the owner role is needed) and `GET /v1/lineage/{ref}`.
 */
import { Hono } from 'hono'
import { InvalidInput } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

const DIRECTIONS = ['upstream', 'downstream', 'both'] as const

export function offlineFeatureRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()
  const body = async (c: { req: { raw: Request } }, what: string) => {
    const v = parseJson(await readBody(c.req.raw, limits.maxBodyBytes), what)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidInput(`${what} must be a JSON object`, { expected: 'an object' })
    return v as never
  }

  app.post('/features/enrich', async (c) => {
    requireRole(c, 'owner', 'enrich files on the server')
    return c.json(await api.features.enrich(await body(c, 'the enrich request'), scopeOf(c)))
  })

  app.post('/features/training-set', async (c) => {
    requireRole(c, 'owner', 'build training sets on the server')
    return c.json(await api.features.trainingSet(await body(c, 'the training-set request'), scopeOf(c)), 201)
  })

  app.get('/lineage/:ref', async (c) => {
    const direction = c.req.query('direction') ?? 'both'
    if (!(DIRECTIONS as readonly string[]).includes(direction)) {
      throw new InvalidInput(`direction must be one of ${DIRECTIONS.join(', ')}, got ${JSON.stringify(direction)}`, { field: 'direction', got: direction })
    }
    return c.json(await api.features.lineage(c.req.param('ref'), { ...scopeOf(c), direction: direction as (typeof DIRECTIONS)[number] }))
  })

  return app
}
