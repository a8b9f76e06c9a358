/** What every handler shares: the core, limits, the logger, and who is asking (when auth is on). */
import type { Context } from 'hono'
import { roleAtLeast, type Principal, type Role } from '../api/auth-api.js'
import type { QuiverApi, ScopeOptions } from '../api/quiver-api.js'
import { InvalidInput, NotFound, QuiverError } from '../errors.js'
import { parseRef } from '../registry/refs.js'
import type { Logger } from './logger.js'

export type { Principal, Role } from '../api/auth-api.js'

export type AppEnv = {
  Variables: {
    principal?: Principal
    /** The model reference a request names; metrics and logs show it only if it exists. */
    model?: string
  }
}

export interface ServerLimits {
  /** Largest JSON / Arrow / Parquet / CSV / V2 body, in bytes. */
  maxBodyBytes: number
  /** Largest model file in an upload, in bytes. */
  maxUploadBytes: number
}

export interface ServerDeps {
  api: QuiverApi
  logger: Logger
  limits: ServerLimits
  /** `/v2/health/ready`: true unless the server was started with strict readiness and is not ready yet. */
  ready: () => boolean
}

/** Header naming the workspace on requests that have no `?workspace=` (and on /v2). */
export const WORKSPACE_HEADER = 'quiver-workspace'

/**
 * The workspace a request works in. With a token it is the token's workspace, and any other
 * workspace asked for (by query, header or a `ws/` prefix on a reference) is reported as not
 * existing, so that workspaces cannot be discovered.
 */
export function scopeOf(c: Context<AppEnv>, ...refs: string[]): ScopeOptions {
  const requested = c.req.query('workspace') || c.req.header(WORKSPACE_HEADER) || undefined
  const principal = c.get('principal')
  if (!principal) return { workspace: requested }
  if (requested && requested !== principal.workspace) throw new NotFound(`workspace '${requested}' does not exist`)
  for (const ref of refs) {
    const parsed = parseRef(ref)
    if (parsed.workspace && parsed.workspace !== principal.workspace) {
      throw new NotFound(`model '${parsed.name}' does not exist in workspace '${parsed.workspace}'`)
    }
  }
  return { workspace: principal.workspace }
}

/** Refuses callers below `role` (only when auth is on; embedded and open servers allow all). */
export function requireRole(c: Context<AppEnv>, role: Role, action: string): void {
  const principal = c.get('principal')
  if (principal && !roleAtLeast(principal.role, role)) {
    throw new QuiverError('unauthorized', `a ${principal.role} token cannot ${action}; it needs the ${role} role or higher in workspace '${principal.workspace}'`, {
      reason: 'forbidden',
    })
  }
}

/** Turns `{seq | uuid | tag}` from a `/versions/{v}` path into a reference. */
export function versionRef(name: string, version: string): string {
  if (/^[0-9]+$/.test(version)) return `${name}#${version}`
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(version)) return `${name}:${version}`
  return `${name}@${version}`
}

/** `?wait=false`: queue the work as a job and answer 202 with it, instead of doing it within the request. */
export function asJob(c: Context<AppEnv>): boolean {
  const wait = c.req.query('wait')
  if (wait === undefined || wait === 'true') return false
  if (wait === 'false') return true
  throw new InvalidInput(`wait must be true or false, got '${wait}'`, { field: 'wait', expected: 'true|false', got: wait })
}
