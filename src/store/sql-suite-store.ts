import type { SqlDriver } from './driver.js'
import type { NewSuiteVersion, StoredEvaluation, StoredSuite, SuiteStore } from './suite-store.js'

interface SuiteRow { id: string | number; workspace: string; name: string; version: number; digest: string; blob_sha256: string; definition: unknown; created_at: Date | string }
interface EvaluationRow { id: string | number; version_id: string | number; suite_id: string | number; inferences_sha256: string; result: unknown; created_at: Date | string }

const SELECT = `
  SELECT s.id, w.name AS workspace, s.name, s.version, s.digest, s.blob_sha256, s.definition, s.created_at
  FROM test_suites s JOIN workspaces w ON w.id = s.workspace_id`

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)
const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString()

function toSuite(r: SuiteRow): StoredSuite {
  return {
    id: Number(r.id), workspace: r.workspace, name: r.name, version: Number(r.version), digest: r.digest,
    blob_sha256: r.blob_sha256, definition: json(r.definition), created_at: iso(r.created_at),
  }
}

function toEvaluation(r: EvaluationRow): StoredEvaluation {
  return {
    id: Number(r.id), version_id: Number(r.version_id), suite_id: Number(r.suite_id),
    inferences_sha256: r.inferences_sha256, result: json(r.result), created_at: iso(r.created_at),
  }
}

/** Test suites and evaluations over the metadata database. */
export class SqlSuiteStore implements SuiteStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  putSuite(v: NewSuiteVersion): Promise<{ record: StoredSuite; created: boolean }> {
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [v.workspace])
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [v.workspace])
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`test-suite:${ws!.id}:${v.name}`])
      const [newest] = await tx.query<SuiteRow>(`${SELECT} WHERE s.workspace_id = $1 AND s.name = $2 ORDER BY s.version DESC LIMIT 1`, [ws!.id, v.name])
      if (newest && newest.digest === v.digest) return { record: toSuite(newest), created: false }
      const version = newest ? Number(newest.version) + 1 : 1
      await tx.query(
        'INSERT INTO test_suites (workspace_id, name, version, digest, blob_sha256, definition) VALUES ($1, $2, $3, $4, $5, $6)',
        [ws!.id, v.name, version, v.digest, v.blob_sha256, JSON.stringify(v.definition)],
      )
      const [row] = await tx.query<SuiteRow>(`${SELECT} WHERE s.workspace_id = $1 AND s.name = $2 AND s.version = $3`, [ws!.id, v.name, version])
      return { record: toSuite(row!), created: true }
    })
  }

  async getSuite(workspace: string, name: string, version?: number): Promise<StoredSuite | null> {
    const rows = version === undefined
      ? await this.#db.query<SuiteRow>(`${SELECT} WHERE w.name = $1 AND s.name = $2 ORDER BY s.version DESC LIMIT 1`, [workspace, name])
      : await this.#db.query<SuiteRow>(`${SELECT} WHERE w.name = $1 AND s.name = $2 AND s.version = $3`, [workspace, name, version])
    return rows[0] ? toSuite(rows[0]) : null
  }

  async listSuites(workspace: string): Promise<StoredSuite[]> {
    const rows = await this.#db.query<SuiteRow>(
      `${SELECT} WHERE w.name = $1 AND s.version = (SELECT max(t.version) FROM test_suites t WHERE t.workspace_id = s.workspace_id AND t.name = s.name)
       ORDER BY s.name`,
      [workspace],
    )
    return rows.map(toSuite)
  }

  async addEvaluation(e: Omit<StoredEvaluation, 'id' | 'created_at'>): Promise<StoredEvaluation> {
    const [row] = await this.#db.query<EvaluationRow>(
      `INSERT INTO evaluations (version_id, suite_id, inferences_sha256, result) VALUES ($1, $2, $3, $4)
       RETURNING id, version_id, suite_id, inferences_sha256, result, created_at`,
      [e.version_id, e.suite_id, e.inferences_sha256, JSON.stringify(e.result)],
    )
    return toEvaluation(row!)
  }

  async latestEvaluation(versionId: number, suiteId: number): Promise<StoredEvaluation | null> {
    const [row] = await this.#db.query<EvaluationRow>(
      `SELECT id, version_id, suite_id, inferences_sha256, result, created_at FROM evaluations
       WHERE version_id = $1 AND suite_id = $2 ORDER BY id DESC LIMIT 1`,
      [versionId, suiteId],
    )
    return row ? toEvaluation(row) : null
  }
}
