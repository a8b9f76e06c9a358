/** `/v1/tokens`: owners create, list and revoke their workspace's tokens. */
import { Hono } from 'hono'
import { isRole, ROLES, type AuthApi } from '../../api/auth-api.js'
import { InvalidInput, NotFound, Unsupported } from '../../errors.js'
import { parseJson, readBody } from '../body.js'
import { requireRole, scopeOf, type AppEnv, type ServerDeps } from '../context.js'

export type TokenAdmin = AuthApi

export function tokenRoutes(deps: ServerDeps, tokens: TokenAdmin | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const admin = (): TokenAdmin => {
    if (!tokens) throw new Unsupported('this server does not manage tokens')
    return tokens
  }

  app.post('/tokens', async (c) => {
    requireRole(c, 'owner', 'create tokens')
    const body = parseJson(await readBody(c.req.raw, deps.limits.maxBodyBytes), 'the token request') as Record<string, unknown> | null
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidInput(`the token request must be a JSON object {"workspace", "role", "user"?}`, { field: 'body' })
    }
    const role = body.role
    if (typeof role !== 'string' || !isRole(role)) {
      throw new InvalidInput(`role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`, { field: 'role', got: String(role) })
    }
    if (body.workspace !== undefined && typeof body.workspace !== 'string') throw new InvalidInput(`workspace must be a string`, { field: 'workspace' })
    if (body.user !== undefined && typeof body.user !== 'string') throw new InvalidInput(`user must be a string`, { field: 'user' })
    const requested = (body.workspace as string | undefined) ?? c.req.query('workspace')
    const principal = c.get('principal')
    if (principal && requested && requested !== principal.workspace) throw new NotFound(`workspace '${requested}' does not exist`)
    const workspace = principal?.workspace ?? requested ?? 'default'
    return c.json(await admin().createToken({ workspace, role, user: body.user as string | undefined }), 201)
  })

  app.get('/tokens', async (c) => {
    requireRole(c, 'owner', 'list tokens')
    return c.json(await admin().listTokens({ workspace: scopeOf(c).workspace }))
  })

  app.delete('/tokens/:id', async (c) => {
    requireRole(c, 'owner', 'revoke tokens')
    const id = c.req.param('id')
    const principal = c.get('principal')
    if (principal) {
      const own = await admin().listTokens({ workspace: principal.workspace })
      if (!own.some((t) => t.id === id)) throw new NotFound(`token '${id}' does not exist`)
    }
    return c.json(await admin().revokeToken(id))
  })
  return app
}
