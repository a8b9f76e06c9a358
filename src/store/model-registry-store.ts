/** Other registries a workspace imports models from: name, type, URL and token variable, one row each. */
import type { SqlDriver } from './driver.js'

export interface StoredModelRegistry {
  workspace: string
  name: string
  type: 'mlflow' | 'quiver'
  url: string
  /** The environment variable holding its token, or null when it needs none. */
  token_env: string | null
  created_at: string
}

interface Row {
  workspace: string
  name: string
  type: 'mlflow' | 'quiver'
  url: string
  token_env: string | null
  created_at: Date | string
}

const SELECT = `SELECT w.name AS workspace, r.name, r.type, r.url, r.token_env, r.created_at FROM model_registries r JOIN workspaces w ON w.id = r.workspace_id`

function toRecord(r: Row): StoredModelRegistry {
  return { workspace: r.workspace, name: r.name, type: r.type, url: r.url, token_env: r.token_env ?? null, created_at: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString() }
}

export class SqlModelRegistryStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  /** Adds a registry; null when the workspace already has one of that name. */
  add(r: Omit<StoredModelRegistry, 'created_at'>): Promise<StoredModelRegistry | null> {
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [r.workspace])
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [r.workspace])
      const inserted = await tx.query<{ id: string }>(
        'INSERT INTO model_registries (workspace_id, name, type, url, token_env) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id',
        [ws!.id, r.name, r.type, r.url, r.token_env],
      )
      if (inserted.length === 0) return null
      const [row] = await tx.query<Row>(`${SELECT} WHERE r.id = $1`, [inserted[0]!.id])
      return toRecord(row!)
    })
  }

  async get(workspace: string, name: string): Promise<StoredModelRegistry | null> {
    const [row] = await this.#db.query<Row>(`${SELECT} WHERE w.name = $1 AND r.name = $2`, [workspace, name])
    return row ? toRecord(row) : null
  }

  async list(workspace: string): Promise<StoredModelRegistry[]> {
    return (await this.#db.query<Row>(`${SELECT} WHERE w.name = $1 ORDER BY r.name`, [workspace])).map(toRecord)
  }
}
