/** REST `/v1/registries…`: other registries to browse and import from (SPEC §10). */
import { Hono } from 'hono'
import { parseSchema } from '../../data/schema.js'
import { InvalidInput } from '../../errors.js'
import type { RegistryType } from '../../api/registry-api.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

export function registryRoutes(deps: ServerDeps): Hono<AppEnv> {
  const { api, limits } = deps
  const app = new Hono<AppEnv>()
  const body = async (raw: Request): Promise<Record<string, unknown>> => {
    const value = parseJson(await readBody(raw, limits.maxBodyBytes), 'request body')
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInput('the request body must be a JSON object', { field: 'body' })
    return value as Record<string, unknown>
  }
  const text = (v: unknown, field: string, required = true): string | undefined => {
    if (v === undefined && !required) return undefined
    if (typeof v !== 'string') throw new InvalidInput(`field '${field}' must be a string`, { field })
    return v
  }

  app.get('/registries', async (c) => c.json(await api.registries.list(scopeOf(c))))

  app.post('/registries', async (c) => {
    requireRole(c, 'editor', 'add registries')
    const b = await body(c.req.raw)
    const tokenEnv = text(b.token_env, 'token_env', false)
    const added = await api.registries.add({ name: text(b.name, 'name')!, type: text(b.type, 'type') as RegistryType, url: text(b.url, 'url')!, ...(tokenEnv === undefined ? {} : { token_env: tokenEnv }) }, scopeOf(c))
    return c.json(added, 201)
  })

  app.get('/registries/:registry/models', async (c) => c.json(await api.registries.models(c.req.param('registry'), scopeOf(c))))

  app.get('/registries/:registry/models/:model/versions', async (c) =>
    c.json(await api.registries.versions(c.req.param('registry'), c.req.param('model'), scopeOf(c))))

  app.post('/registries/:registry/models/:model/versions/:version/import', async (c) => {
    requireRole(c, 'editor', 'import models')
    const b = await body(c.req.raw)
    const tags = b.tags === undefined ? undefined : Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string') ? b.tags as string[] : null
    if (tags === null) throw new InvalidInput(`field 'tags' must be an array of strings`, { field: 'tags' })
    if (b.metadata !== undefined && (typeof b.metadata !== 'object' || b.metadata === null || Array.isArray(b.metadata))) throw new InvalidInput(`field 'metadata' must be an object`, { field: 'metadata' })
    const v = await api.registries.importVersion({
      name: text(b.name, 'name')!,
      from: [c.req.param('registry'), c.req.param('model'), c.req.param('version')].join('/'),
      tags,
      description: text(b.description, 'description', false),
      metadata: b.metadata as Record<string, unknown> | undefined,
      inputSchema: b.input_schema === undefined || b.input_schema === null ? undefined : parseSchema(b.input_schema, 'input schema'),
      outputSchema: b.output_schema === undefined || b.output_schema === null ? undefined : parseSchema(b.output_schema, 'output schema'),
      trust: b.trust === true,
    }, scopeOf(c))
    return c.json(v, 201)
  })

  return app
}
