import type { SqlDriver } from './driver.js'
import type { NewToken, TokenRow, TokenStore } from './token-store.js'

interface Row {
  id: string
  workspace: string
  role: TokenRow['role']
  user_name: string | null
  created_at: Date | string
  revoked_at: Date | string | null
}

const SELECT_TOKEN = `
  SELECT t.id, w.name AS workspace, t.role, u.name AS user_name, t.created_at, t.revoked_at
  FROM api_tokens t
  JOIN workspaces w ON w.id = t.workspace_id
  LEFT JOIN users u ON u.id = t.user_id`

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString()

function toToken(r: Row): TokenRow {
  return {
    id: r.id, workspace: r.workspace, role: r.role, user: r.user_name,
    created_at: iso(r.created_at), revoked_at: r.revoked_at === null ? null : iso(r.revoked_at),
  }
}

/** Tokens over the metadata database (tables `api_tokens`, `users`, `workspace_members`). */
export class SqlTokenStore implements TokenStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  createToken(t: NewToken): Promise<TokenRow> {
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [t.workspace])
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [t.workspace])
      let userId: string | null = null
      if (t.user !== undefined) {
        await tx.query('INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [t.user])
        const [u] = await tx.query<{ id: string }>('SELECT id FROM users WHERE name = $1', [t.user])
        userId = u!.id
        await tx.query(
          `INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
          [ws!.id, userId, t.role],
        )
      }
      await tx.query(
        'INSERT INTO api_tokens (id, token_hash, user_id, workspace_id, role) VALUES ($1, $2, $3, $4, $5)',
        [t.id, t.tokenHash, userId, ws!.id, t.role],
      )
      const [row] = await tx.query<Row>(`${SELECT_TOKEN} WHERE t.id = $1`, [t.id])
      return toToken(row!)
    })
  }

  async revokeToken(id: string): Promise<TokenRow | null> {
    await this.#db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id])
    const [row] = await this.#db.query<Row>(`${SELECT_TOKEN} WHERE t.id = $1`, [id])
    return row ? toToken(row) : null
  }

  async listTokens(workspace?: string): Promise<TokenRow[]> {
    const rows = workspace === undefined
      ? await this.#db.query<Row>(`${SELECT_TOKEN} ORDER BY t.created_at, t.id`)
      : await this.#db.query<Row>(`${SELECT_TOKEN} WHERE w.name = $1 ORDER BY t.created_at, t.id`, [workspace])
    return rows.map(toToken)
  }

  async findLiveToken(tokenHash: string): Promise<TokenRow | null> {
    const [row] = await this.#db.query<Row>(`${SELECT_TOKEN} WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, [tokenHash])
    return row ? toToken(row) : null
  }
}
