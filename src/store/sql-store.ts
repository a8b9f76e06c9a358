import { Conflict, InvalidInput, NotFound } from '../errors.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'
import type { SqlDriver, SqlExecutor } from './driver.js'
import { migrate } from './migrations/migrate.js'
import type { MetadataStore, NewVersion, VersionPatch, VersionSelector } from './store.js'
import { jsonParam, toModelSummary, toVersionRecord, type ModelSummaryRow, type VersionRow } from './version-row.js'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_INT4 = 2_147_483_647

const SELECT_VERSION = `
  SELECT v.id, v.version, v.seq, m.name, w.name AS workspace, v.file_name, v.sha256, v.size_bytes,
         v.framework, v.runtime, v.status, v.error_message, v.input_schema, v.output_schema, v.arch,
         v.accel, v.image_path, v.description, v.metadata, v.additional_files, v.config,
         v.created_at, v.last_update_time,
         COALESCE((SELECT jsonb_agg(t.tag ORDER BY t.tag) FROM tags t WHERE t.version_id = v.id), '[]'::jsonb) AS tags
  FROM versions v
  JOIN models m ON m.id = v.model_id
  JOIN workspaces w ON w.id = m.workspace_id`

const SELECT_MODELS = `
  SELECT m.name, w.name AS workspace, m.created_at,
         -- tag moves touch the model row; version changes count through their own times
         GREATEST(m.updated_at, (SELECT max(v.last_update_time) FROM versions v WHERE v.model_id = m.id)) AS updated_at,
         (SELECT count(*) FROM versions v WHERE v.model_id = m.id) AS versions,
         lr.seq AS latest_seq, lr.version AS latest_version,
         COALESCE(lr.framework,
           (SELECT v.framework FROM versions v WHERE v.model_id = m.id ORDER BY v.seq DESC LIMIT 1)) AS framework,
         COALESCE((SELECT jsonb_agg(t.tag ORDER BY t.tag) FROM tags t WHERE t.model_id = m.id), '[]'::jsonb) AS tags
  FROM models m
  JOIN workspaces w ON w.id = m.workspace_id
  LEFT JOIN LATERAL (
    SELECT v.seq, v.version, v.framework FROM versions v
    WHERE v.model_id = m.id AND v.status = 'ready' ORDER BY v.seq DESC LIMIT 1
  ) lr ON true
  WHERE w.name = $1 AND EXISTS (SELECT 1 FROM versions v WHERE v.model_id = m.id)
  ORDER BY m.name`

/** Patchable fields → column, and whether the column is jsonb. */
const PATCH_COLUMNS: Record<keyof VersionPatch, boolean> = {
  status: false, error_message: false, runtime: false, description: false,
  input_schema: true, output_schema: true, metadata: true, config: true,
}

/** A model row counts as existing once it has a version. */
const HAS_VERSIONS = 'EXISTS (SELECT 1 FROM versions v WHERE v.model_id = m.id)'

/** The metadata store over any `SqlDriver`; every statement Quiver runs is in this file. */
export class SqlMetadataStore implements MetadataStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  /** Migrates the database to the current schema and returns the store; closes the driver on failure. */
  static async open(driver: SqlDriver): Promise<SqlMetadataStore> {
    try {
      await migrate(driver)
    } catch (err) {
      await driver.close().catch(() => {})
      throw err
    }
    return new SqlMetadataStore(driver)
  }

  get kind(): SqlDriver['kind'] {
    return this.#db.kind
  }

  /** The driver, for the stores of other concerns that share this database (API tokens). */
  get driver(): SqlDriver {
    return this.#db
  }

  async ensureWorkspace(workspace: string): Promise<void> {
    await this.#run((db) => db.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [workspace]))
  }

  async listWorkspaces(): Promise<string[]> {
    const rows = await this.#run((db) => db.query<{ name: string }>('SELECT name FROM workspaces ORDER BY name'))
    return rows.map((r) => r.name)
  }

  async createVersion(v: NewVersion): Promise<VersionRecord> {
    if (!UUID_RE.test(v.version)) {
      throw new InvalidInput(`version '${v.version}' is not a UUID`, { field: 'version', expected: 'UUID', got: v.version })
    }
    return this.#transaction(async (tx) => {
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [v.workspace])
      if (!ws) throw new NotFound(`workspace '${v.workspace}' does not exist`, { workspace: v.workspace })
      await tx.query(
        'INSERT INTO models (workspace_id, name) VALUES ($1, $2) ON CONFLICT (workspace_id, name) DO NOTHING',
        [ws.id, v.name])
      // The UPDATE locks the model row, so concurrent uploads of one name take turns here.
      const [model] = await tx.query<{ id: string; last_seq: number }>(
        `UPDATE models SET last_seq = last_seq + 1
         WHERE workspace_id = $1 AND name = $2 RETURNING id, last_seq`, [ws.id, v.name])
      const [row] = await tx.query<{ id: string }>(
        `INSERT INTO versions (model_id, version, seq, file_name, sha256, size_bytes, framework, runtime, status,
           input_schema, output_schema, arch, accel, image_path, description, metadata, additional_files, config)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14, $15,
           $16::jsonb, $17::jsonb, $18::jsonb)
         RETURNING id`,
        [model!.id, v.version, model!.last_seq, v.file_name, v.sha256, v.size_bytes, v.framework, v.runtime,
          v.status, jsonParam(v.input_schema), jsonParam(v.output_schema), v.arch, v.accel, v.image_path,
          v.description, jsonParam(v.metadata ?? {}), jsonParam(v.additional_files ?? {}), jsonParam(v.config ?? {})])
      return (await selectById(tx, Number(row!.id)))!
    })
  }

  async getVersion(workspace: string, name: string, selector: VersionSelector): Promise<VersionRecord | null> {
    const where = 'WHERE w.name = $1 AND m.name = $2'
    let sql: string
    let arg: unknown
    switch (selector.kind) {
      case 'latest':
        sql = `${SELECT_VERSION} ${where} AND v.status = 'ready' ORDER BY v.seq DESC LIMIT 1`
        break
      case 'tag':
        sql = `${SELECT_VERSION} ${where}
          AND v.id = (SELECT t.version_id FROM tags t WHERE t.model_id = m.id AND t.tag = $3)`
        arg = selector.tag
        break
      case 'uuid':
        if (!UUID_RE.test(selector.uuid)) return null
        sql = `${SELECT_VERSION} ${where} AND v.version = $3`
        arg = selector.uuid
        break
      case 'seq':
        if (!Number.isInteger(selector.seq) || selector.seq < 1 || selector.seq > MAX_INT4) return null
        sql = `${SELECT_VERSION} ${where} AND v.seq = $3`
        arg = selector.seq
        break
    }
    const params = arg === undefined ? [workspace, name] : [workspace, name, arg]
    const rows = await this.#run((db) => db.query<VersionRow>(sql, params))
    return rows[0] ? toVersionRecord(rows[0]) : null
  }

  async getVersionById(id: number): Promise<VersionRecord | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null
    return this.#run((db) => selectById(db, id))
  }

  async listVersions(workspace: string, name: string): Promise<VersionRecord[]> {
    const rows = await this.#run((db) => db.query<VersionRow>(
      `${SELECT_VERSION} WHERE w.name = $1 AND m.name = $2 ORDER BY v.seq`, [workspace, name]))
    return rows.map(toVersionRecord)
  }

  async listModels(workspace: string): Promise<ModelSummary[]> {
    const rows = await this.#run((db) => db.query<ModelSummaryRow>(SELECT_MODELS, [workspace]))
    return rows.map(toModelSummary)
  }

  async modelExists(workspace: string, name: string): Promise<boolean> {
    const rows = await this.#run((db) => db.query(
      `SELECT 1 FROM models m JOIN workspaces w ON w.id = m.workspace_id
       WHERE w.name = $1 AND m.name = $2 AND ${HAS_VERSIONS}`, [workspace, name]))
    return rows.length > 0
  }

  async updateVersion(id: number, patch: VersionPatch): Promise<VersionRecord> {
    const sets: string[] = []
    const params: unknown[] = [id]
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue
      if (!(key in PATCH_COLUMNS)) {
        throw new InvalidInput(`version field '${key}' cannot be changed`, {
          field: key, expected: Object.keys(PATCH_COLUMNS).join(', '),
        })
      }
      const json = PATCH_COLUMNS[key as keyof VersionPatch]
      params.push(json ? jsonParam(value) : value)
      sets.push(`${key} = $${params.length}${json ? '::jsonb' : ''}`)
    }
    return this.#transaction(async (tx) => {
      const rows = await tx.query<{ model_id: string }>(
        `UPDATE versions SET ${[...sets, 'last_update_time = now()'].join(', ')} WHERE id = $1 RETURNING model_id`,
        params)
      if (!rows[0]) throw new NotFound(`version id ${id} does not exist`, { id })
      return (await selectById(tx, id))!
    })
  }

  async deleteVersion(id: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id < 1) return
    await this.#transaction(async (tx) => {
      const rows = await tx.query<{ model_id: string; seq: number }>('DELETE FROM versions WHERE id = $1 RETURNING model_id, seq', [id])
      if (!rows[0]) return
      // Taking back the newest version (a failed upload) hands its seq to the next upload, so the
      // model reads exactly as before; an older seq is never reused.
      const rolledBack = await tx.query(
        'UPDATE models SET last_seq = last_seq - 1 WHERE id = $1 AND last_seq = $2 RETURNING id',
        [rows[0].model_id, rows[0].seq])
      if (rolledBack.length === 0) await touchModel(tx, rows[0].model_id)
    })
  }

  async setTag(id: number, tag: string): Promise<void> {
    await this.#transaction(async (tx) => {
      const [v] = await tx.query<{ model_id: string }>('SELECT model_id FROM versions WHERE id = $1', [id])
      if (!v) throw new NotFound(`version id ${id} does not exist`, { id })
      await tx.query(
        `INSERT INTO tags (model_id, tag, version_id) VALUES ($1, $2, $3)
         ON CONFLICT (model_id, tag) DO UPDATE SET version_id = EXCLUDED.version_id, created_at = now()`,
        [v.model_id, tag, id])
      await touchModel(tx, v.model_id)
    })
  }

  async removeTag(workspace: string, name: string, tag: string): Promise<boolean> {
    return this.#transaction(async (tx) => {
      const rows = await tx.query<{ model_id: string }>(
        `DELETE FROM tags t USING models m, workspaces w
         WHERE t.model_id = m.id AND m.workspace_id = w.id AND w.name = $1 AND m.name = $2 AND t.tag = $3
         RETURNING t.model_id`, [workspace, name, tag])
      if (rows[0]) await touchModel(tx, rows[0].model_id)
      return rows.length > 0
    })
  }

  async blobReferences(sha256: string): Promise<number> {
    const [row] = await this.#run((db) => db.query<{ n: string | number }>(
      `SELECT (SELECT count(*) FROM versions v
       WHERE v.sha256 = $1 OR EXISTS (SELECT 1 FROM jsonb_each_text(v.additional_files) f WHERE f.value = $1)
          OR v.config->'converted'->>'sha256' = $1) + (SELECT count(*) FROM test_suites WHERE blob_sha256 = $1)
         + (SELECT count(*) FROM evaluations WHERE inferences_sha256 = $1) AS n`,
      [sha256]))
    return Number(row!.n)
  }

  close(): Promise<void> {
    return this.#db.close()
  }

  #run<T>(fn: (db: SqlExecutor) => Promise<T>): Promise<T> {
    return fn(this.#db).catch(rethrowDbError)
  }

  #transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#db.transaction(fn).catch(rethrowDbError)
  }
}

async function selectById(db: SqlExecutor, id: number): Promise<VersionRecord | null> {
  const rows = await db.query<VersionRow>(`${SELECT_VERSION} WHERE v.id = $1`, [id])
  return rows[0] ? toVersionRecord(rows[0]) : null
}

function touchModel(tx: SqlExecutor, modelId: string): Promise<unknown> {
  return tx.query('UPDATE models SET updated_at = now() WHERE id = $1', [modelId])
}

/** PostgreSQL `unique_violation` becomes `Conflict` here and nowhere else. */
function rethrowDbError(err: unknown): never {
  const e = err as { code?: unknown; detail?: unknown; constraint?: unknown; message?: string }
  if (e && e.code === '23505') {
    const detail = typeof e.detail === 'string' ? e.detail.replace(/\.$/, '') : `duplicate key (${String(e.constraint)})`
    throw new Conflict(`already exists: ${detail}`, { constraint: e.constraint }, { cause: err })
  }
  throw err
}
