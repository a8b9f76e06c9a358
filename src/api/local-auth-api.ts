import { createHash, randomBytes } from 'node:crypto'
import { InvalidInput, NotFound } from '../errors.js'
import { assertValidName } from '../registry/names.js'
import type { TokenStore } from '../store/token-store.js'
import { isRole, ROLES, type AuthApi, type CreatedToken, type CreateTokenRequest, type Principal, type TokenInfo } from './auth-api.js'

const TOKEN_PREFIX = 'qvr_'

/** SHA-256 of the secret, hex: what the store keeps. A 32-byte random secret needs no slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** How long a token check is trusted without asking the store again (revocation elsewhere shows within it). */
const CHECK_TTL_MS = 1000
const MAX_CHECKS = 10_000

/**
 * Tokens in the metadata store: 32 random bytes shown once, kept as their SHA-256. Checks are
 * cached for at most a second, and dropped at once on a revocation here or on the change feed.
 */
export class LocalAuthApi implements AuthApi {
  readonly #store: TokenStore
  readonly #checks = new Map<string, { principal: Principal | null; expires: number }>()

  constructor(store: TokenStore) {
    this.#store = store
  }

  /** The token administration of a core (the same as `api.auth`). */
  static of(api: { readonly auth: AuthApi }): AuthApi {
    return api.auth
  }

  async createToken(req: CreateTokenRequest): Promise<CreatedToken> {
    assertValidName(req.workspace, 'workspace')
    if (!isRole(req.role)) {
      throw new InvalidInput(`role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(req.role)}`, { field: 'role', got: String(req.role) })
    }
    if (req.user !== undefined && !/^[A-Za-z0-9._@+-]{1,128}$/.test(req.user)) {
      throw new InvalidInput(`user name ${JSON.stringify(req.user)} must be 1-128 letters, digits or . _ @ + -`, { field: 'user', got: req.user })
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
    const row = await this.#store.createToken({
      id: `tok_${randomBytes(8).toString('hex')}`,
      tokenHash: hashToken(token),
      workspace: req.workspace,
      role: req.role,
      user: req.user,
    })
    return { ...row, token }
  }

  async revokeToken(id: string): Promise<TokenInfo> {
    const row = await this.#store.revokeToken(id)
    this.forgetChecks()
    if (!row) throw new NotFound(`token '${id}' does not exist`)
    return row
  }

  listTokens(opts: { workspace?: string } = {}): Promise<TokenInfo[]> {
    return this.#store.listTokens(opts.workspace)
  }

  async verifyToken(token: string): Promise<Principal | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null
    const hash = hashToken(token)
    const cached = this.#checks.get(hash)
    if (cached && cached.expires > performance.now()) return cached.principal
    const row = await this.#store.findLiveToken(hash)
    const principal = row ? { tokenId: row.id, workspace: row.workspace, role: row.role, user: row.user } : null
    if (this.#checks.size >= MAX_CHECKS) this.#checks.clear()
    this.#checks.set(hash, { principal, expires: performance.now() + CHECK_TTL_MS })
    return principal
  }

  /** Tokens changed (here or in another process): every check asks the store again. */
  forgetChecks(): void {
    this.#checks.clear()
  }
}
