import type { VersionStatus } from '../records/frameworks.js'
import type { SqlDriver } from './driver.js'

/** The process that owns an unfinished version: it stored it, or it is converting it. */
export interface ConversionOwner {
  pid: number
  host: string
  bootId: string
  /** The process's start time in clock ticks ('' when unknown). */
  procStart: string
}

/** An unfinished version and its owner (null when none was recorded). */
export interface UnfinishedVersion {
  id: number
  workspace: string
  name: string
  seq: number
  status: VersionStatus
  owner: ConversionOwner | null
  /** Milliseconds since the owner last showed it is alive (or since the version last changed, without owner). */
  quietMs: number
}

interface Row {
  id: string | number
  workspace: string
  name: string
  seq: number
  status: VersionStatus
  pid: number | null
  host: string | null
  boot_id: string | null
  proc_start: string | null
  quiet_ms: string | number
}

/** Owners of unfinished versions, over the metadata database (table `conversion_claims`). */
export class SqlConversionClaims {
  readonly #db: SqlDriver

  constructor(driver: SqlDriver) {
    this.#db = driver
  }

  async claim(versionId: number, o: ConversionOwner): Promise<void> {
    await this.#db.query(
      `INSERT INTO conversion_claims (version_id, pid, host, boot_id, proc_start) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (version_id) DO UPDATE SET pid = $2, host = $3, boot_id = $4, proc_start = $5,
         claimed_at = now(), heartbeat_at = now()`,
      [versionId, o.pid, o.host, o.bootId, o.procStart])
  }

  async heartbeat(versionId: number, pid: number): Promise<void> {
    await this.#db.query('UPDATE conversion_claims SET heartbeat_at = now() WHERE version_id = $1 AND pid = $2', [versionId, pid])
  }

  async release(versionId: number): Promise<void> {
    await this.#db.query('DELETE FROM conversion_claims WHERE version_id = $1', [versionId])
  }

  async unfinished(): Promise<UnfinishedVersion[]> {
    const rows = await this.#db.query<Row>(
      `SELECT v.id, w.name AS workspace, m.name, v.seq, v.status, c.pid, c.host, c.boot_id, c.proc_start,
              EXTRACT(EPOCH FROM (now() - COALESCE(c.heartbeat_at, v.last_update_time))) * 1000 AS quiet_ms
       FROM versions v
       JOIN models m ON m.id = v.model_id
       JOIN workspaces w ON w.id = m.workspace_id
       LEFT JOIN conversion_claims c ON c.version_id = v.id
       WHERE v.status IN ('pending_conversion', 'converting')
       ORDER BY v.id`)
    return rows.map((r) => ({
      id: Number(r.id), workspace: r.workspace, name: r.name, seq: Number(r.seq), status: r.status,
      owner: r.pid === null ? null : { pid: Number(r.pid), host: r.host ?? '', bootId: r.boot_id ?? '', procStart: r.proc_start ?? '' },
      quietMs: Number(r.quiet_ms),
    }))
  }

  /**
   * Moves an unfinished version to `error` with `message`, only if it is still unfinished and its
   * owner is still the one judged dead (another process may have claimed it since). Returns
   * whether it moved.
   */
  async failAbandoned(v: UnfinishedVersion, message: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const [claim] = await tx.query<{ pid: number; host: string; proc_start: string }>(
        'SELECT pid, host, proc_start FROM conversion_claims WHERE version_id = $1 FOR UPDATE', [v.id])
      const same = claim === undefined
        ? v.owner === null
        : v.owner !== null && Number(claim.pid) === v.owner.pid && claim.host === v.owner.host && claim.proc_start === v.owner.procStart
      if (!same) return false
      const moved = await tx.query(
        `UPDATE versions SET status = 'error', error_message = $2, last_update_time = now()
         WHERE id = $1 AND status IN ('pending_conversion', 'converting') RETURNING id`, [v.id, message])
      await tx.query('DELETE FROM conversion_claims WHERE version_id = $1', [v.id])
      return moved.length === 1
    })
  }
}
