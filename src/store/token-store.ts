/** API tokens and workspace memberships: what `api/` needs to issue, revoke and verify tokens. */

export type TokenRole = 'owner' | 'editor' | 'viewer'

export interface TokenRow {
  id: string
  workspace: string
  role: TokenRole
  user: string | null
  created_at: string
  revoked_at: string | null
}

export interface NewToken {
  id: string
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  tokenHash: string
  workspace: string
  role: TokenRole
  /** Created if needed and made a member of the workspace with `role`. */
  user?: string
}

export interface TokenStore {
  /** Inserts the token (creating the workspace and user as needed) in one transaction. */
  createToken(t: NewToken): Promise<TokenRow>
  /** Marks the token revoked (idempotent); null when no token has this id. */
  revokeToken(id: string): Promise<TokenRow | null>
  listTokens(workspace?: string): Promise<TokenRow[]>
  /** The live (not revoked) token with this hash, or null. */
  findLiveToken(tokenHash: string): Promise<TokenRow | null>
}
