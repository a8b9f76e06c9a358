/** Bearer-token authentication for every route but the V2 health probes. */
import type { MiddlewareHandler } from 'hono'
import type { Principal } from '../api/auth-api.js'
import { Unauthorized } from '../errors.js'
import type { AppEnv } from './context.js'

/** Looks a presented token up: its principal, or null when unknown or revoked. */
export type TokenVerifier = (token: string) => Promise<Principal | null>

/** Paths open without a token: liveness and readiness probes. */
const OPEN_PATHS = new Set(['/v2/health/live', '/v2/health/ready'])

export function bearerAuth(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next()
    const header = c.req.header('authorization')
    if (!header) throw new Unauthorized(`this server needs a token: send Authorization: Bearer TOKEN (quiver token create makes one)`)
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new Unauthorized(`the Authorization header must be "Bearer TOKEN"`)
    const principal = await verify(match[1]!)
    if (!principal) throw new Unauthorized(`the token is not valid (unknown or revoked)`)
    c.set('principal', principal)
    return next()
  }
}
