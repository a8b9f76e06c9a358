import type { PipelineDefinition } from '../records/pipeline-record.js'
import type { SqlDriver } from './driver.js'
import type { PipelineStore, StoredDeployment, StoredPipelineVersion } from './pipeline-store.js'
import { isoTime } from './version-row.js'

interface VersionRow {
  workspace: string
  name: string
  version: number | string
  uuid: string
  definition: unknown
  created_at: Date | string
}

interface DeploymentRow {
  workspace: string
  name: string
  config: unknown
  deployed_at: Date | string
}

const SELECT_VERSION = `
  SELECT w.name AS workspace, p.name, p.version, p.uuid, p.definition, p.created_at
  FROM pipeline_versions p JOIN workspaces w ON w.id = p.workspace_id`

const SELECT_DEPLOYMENT = `
  SELECT w.name AS workspace, d.name, d.config, d.deployed_at
  FROM pipeline_deployments d JOIN workspaces w ON w.id = d.workspace_id`

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)

const toVersion = (r: VersionRow): StoredPipelineVersion => ({
  workspace: r.workspace, name: r.name, version: Number(r.version), uuid: r.uuid,
  definition: json(r.definition) as PipelineDefinition, created_at: isoTime(r.created_at),
})

const toDeployment = (r: DeploymentRow): StoredDeployment => ({
  workspace: r.workspace, name: r.name, config: json(r.config) as StoredDeployment['config'], deployed_at: isoTime(r.deployed_at),
})

/** Pipeline versions and deployments over the metadata database. */
export class SqlPipelineStore implements PipelineStore {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  putPipelineVersion(workspace: string, name: string, uuid: string, definition: PipelineDefinition): Promise<StoredPipelineVersion> {
    return this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [workspace])
      const [ws] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE name = $1', [workspace])
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pipeline:${ws!.id}:${name}`])
      const [newest] = await tx.query<{ version: number | string }>(
        'SELECT max(version) AS version FROM pipeline_versions WHERE workspace_id = $1 AND name = $2', [ws!.id, name])
      const version = newest?.version == null ? 1 : Number(newest.version) + 1
      await tx.query('INSERT INTO pipeline_versions (workspace_id, name, version, uuid, definition) VALUES ($1, $2, $3, $4, $5::jsonb)',
        [ws!.id, name, version, uuid, JSON.stringify(definition)])
      const [row] = await tx.query<VersionRow>(`${SELECT_VERSION} WHERE p.uuid = $1`, [uuid])
      return toVersion(row!)
    })
  }

  async getPipelineVersion(workspace: string, name: string, version?: number): Promise<StoredPipelineVersion | null> {
    const rows = version === undefined
      ? await this.#db.query<VersionRow>(`${SELECT_VERSION} WHERE w.name = $1 AND p.name = $2 ORDER BY p.version DESC LIMIT 1`, [workspace, name])
      : await this.#db.query<VersionRow>(`${SELECT_VERSION} WHERE w.name = $1 AND p.name = $2 AND p.version = $3`, [workspace, name, version])
    return rows[0] ? toVersion(rows[0]) : null
  }

  async listPipelines(workspace: string): Promise<StoredPipelineVersion[]> {
    const rows = await this.#db.query<VersionRow>(
      `${SELECT_VERSION} WHERE w.name = $1 AND p.version = (SELECT max(q.version) FROM pipeline_versions q
         WHERE q.workspace_id = p.workspace_id AND q.name = p.name) ORDER BY p.name`, [workspace])
    return rows.map(toVersion)
  }

  async setDeployment(workspace: string, name: string, config: StoredDeployment['config']): Promise<StoredDeployment> {
    const rows = await this.#db.query<DeploymentRow>(
      `WITH up AS (
         INSERT INTO pipeline_deployments (workspace_id, name, config)
         SELECT id, $2, $3::jsonb FROM workspaces WHERE name = $1
         ON CONFLICT (workspace_id, name) DO UPDATE SET config = EXCLUDED.config, deployed_at = now()
         RETURNING workspace_id, name, config, deployed_at)
       SELECT w.name AS workspace, up.name, up.config, up.deployed_at FROM up JOIN workspaces w ON w.id = up.workspace_id`,
      [workspace, name, JSON.stringify(config)])
    return toDeployment(rows[0]!)
  }

  async removeDeployment(workspace: string, name: string): Promise<boolean> {
    const rows = await this.#db.query(
      `DELETE FROM pipeline_deployments d USING workspaces w
       WHERE d.workspace_id = w.id AND w.name = $1 AND d.name = $2 RETURNING d.name`, [workspace, name])
    return rows.length > 0
  }

  async getDeployment(workspace: string, name: string): Promise<StoredDeployment | null> {
    const rows = await this.#db.query<DeploymentRow>(`${SELECT_DEPLOYMENT} WHERE w.name = $1 AND d.name = $2`, [workspace, name])
    return rows[0] ? toDeployment(rows[0]) : null
  }

  async listDeployments(workspace?: string): Promise<StoredDeployment[]> {
    const rows = workspace === undefined
      ? await this.#db.query<DeploymentRow>(`${SELECT_DEPLOYMENT} ORDER BY w.name, d.name`)
      : await this.#db.query<DeploymentRow>(`${SELECT_DEPLOYMENT} WHERE w.name = $1 ORDER BY d.name`, [workspace])
    return rows.map(toDeployment)
  }
}
