import type { SqlDriver } from './driver.js'
import type { FeatureSetStore, LineageEdge, NewFeatureSetVersion, StoredFeatureSet } from './feature-set-store.js'

interface Row {
  workspace: string
  name: string
  version: number
  digest: string
  definition: unknown
  keys: unknown
  created_at: Date | string
}

const SELECT = `
  SELECT w.name AS workspace, f.name, f.version, f.digest, f.definition, f.keys, f.created_at
  FROM feature_set_versions f JOIN workspaces w ON w.id = f.workspace_id`

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

function toRecord(r: Row): StoredFeatureSet {
  return {
    workspace: r.workspace, name: r.name, version: Number(r.version), digest: r.digest,
    definition: json(r.definition), keys: json(r.keys),
    created_at: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString(),
  }
}

/** Feature sets, lineage and the embedded online table over the metadata database. */
export class SqlFeatureSetStore implements FeatureSetStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  putFeatureSet(v: NewFeatureSetVersion): Promise<{ record: StoredFeatureSet; created: boolean }> {
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [v.workspace])
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [v.workspace])
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`feature-set:${ws!.id}:${v.name}`])
      const [newest] = await tx.query<Row>(`${SELECT} WHERE f.workspace_id = $1 AND f.name = $2 ORDER BY f.version DESC LIMIT 1`, [ws!.id, v.name])
      if (newest && newest.digest === v.digest) return { record: toRecord(newest), created: false }
      const version = newest ? Number(newest.version) + 1 : 1
      await tx.query(
        'INSERT INTO feature_set_versions (workspace_id, name, version, digest, definition, keys) VALUES ($1, $2, $3, $4, $5, $6)',
        [ws!.id, v.name, version, v.digest, JSON.stringify(v.definition), JSON.stringify(v.keys)],
      )
      const [row] = await tx.query<Row>(`${SELECT} WHERE f.workspace_id = $1 AND f.name = $2 AND f.version = $3`, [ws!.id, v.name, version])
      return { record: toRecord(row!), created: true }
    })
  }

  async getFeatureSet(workspace: string, name: string, version?: number): Promise<StoredFeatureSet | null> {
    const rows = version === undefined
      ? await this.#db.query<Row>(`${SELECT} WHERE w.name = $1 AND f.name = $2 ORDER BY f.version DESC LIMIT 1`, [workspace, name])
      : await this.#db.query<Row>(`${SELECT} WHERE w.name = $1 AND f.name = $2 AND f.version = $3`, [workspace, name, version])
    return rows[0] ? toRecord(rows[0]) : null
  }

  async listFeatureSets(workspace: string): Promise<StoredFeatureSet[]> {
    const rows = await this.#db.query<Row>(
      `${SELECT} WHERE w.name = $1 AND f.version = (SELECT max(g.version) FROM feature_set_versions g WHERE g.workspace_id = f.workspace_id AND g.name = f.name)
       ORDER BY f.name`,
      [workspace],
    )
    return rows.map(toRecord)
  }

  async addLineage(edges: readonly LineageEdge[]): Promise<void> {
    if (edges.length === 0) return
    const col = (k: keyof LineageEdge) => edges.map((e) => e[k])
    await this.#db.query(
      `INSERT INTO lineage_edges (from_kind, from_ref, to_kind, to_ref, relation)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT DO NOTHING`,
      [col('from_kind'), col('from_ref'), col('to_kind'), col('to_ref'), col('relation')],
    )
  }

  lineageEdges(): Promise<LineageEdge[]> {
    return this.#db.query<LineageEdge>('SELECT from_kind, from_ref, to_kind, to_ref, relation FROM lineage_edges ORDER BY id')
  }

  async writeOnline(namespace: string, keys: readonly string[], values: readonly string[]): Promise<void> {
    if (keys.length === 0) return
    await this.#db.query(
      `INSERT INTO online_values (namespace, entity, value)
       SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t (k, v)
       ON CONFLICT (namespace, entity) DO UPDATE SET value = EXCLUDED.value`,
      [namespace, keys, values],
    )
  }

  async readOnline(namespace: string, keys: readonly string[]): Promise<(string | null)[]> {
    const rows = await this.#db.query<{ entity: string; value: string }>(
      'SELECT entity, value FROM online_values WHERE namespace = $1 AND entity = ANY($2::text[])',
      [namespace, keys],
    )
    const found = new Map(rows.map((r) => [r.entity, r.value]))
    return keys.map((k) => found.get(k) ?? null)
  }
}
