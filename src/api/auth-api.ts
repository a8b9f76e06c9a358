/** Workspaces' API tokens: created for one workspace and role, shown once, stored only as a hash. */

export const ROLES = ['viewer', 'editor', 'owner'] as const
/** `viewer` reads and infers; `editor` also uploads and tags; `owner` also manages tokens. */
export type Role = (typeof ROLES)[number]

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s)
}

/** Whether `role` is at least `needed`. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed)
}

/** The caller behind a bearer token: one workspace and a role in it. */
export interface Principal {
  tokenId: string
  workspace: string
  role: Role
  user: string | null
}

export interface TokenInfo {
  id: string
  workspace: string
  role: Role
  user: string | null
  created_at: string
  revoked_at: string | null
}

/** A new token: `token` is the secret, returned this once and never stored. */
export interface CreatedToken extends TokenInfo {
  token: string
}

export interface CreateTokenRequest {
  workspace: string
  role: Role
  /** Records the token as this user's and makes the user a member of the workspace with `role`. */
  user?: string
}

/**
 * Token administration and verification. `LocalAuthApi` keeps tokens in the metadata store;
 * `RemoteQuiverApi` reaches a server's `/v1/tokens`.
 *
 * @example
 * const { token, id } = await auth.createToken({ workspace: 'default', role: 'viewer' })
 * await auth.verifyToken(token)  // { tokenId: id, workspace: 'default', role: 'viewer', user: null }
 * await auth.revokeToken(id)
 */
export interface AuthApi {
  createToken(req: CreateTokenRequest): Promise<CreatedToken>
  /** Revokes a token by id; NotFound when no such token exists. */
  revokeToken(id: string): Promise<TokenInfo>
  listTokens(opts?: { workspace?: string }): Promise<TokenInfo[]>
  /** The principal of a live token, or null for an unknown or revoked one. */
  verifyToken(token: string): Promise<Principal | null>
}
