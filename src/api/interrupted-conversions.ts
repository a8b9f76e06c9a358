/**
 * Versions left unfinished (`pending_conversion`, `converting`) by a process that died: found at
 * start-up of any process on the metadata store (and by serving replicas from time to time) and
 * moved to `error` with a message saying which process left them.
 */
import type { ConversionOwner, SqlConversionClaims, UnfinishedVersion } from '../store/sql-conversion-claims.js'
import { localOwnerAlive } from './process-owner.js'

/** An owner on another host counts as dead once its heartbeat is older than this. */
export const DEFAULT_STALE_MS = 60_000
/** How often a converting process shows it is alive. */
export const HEARTBEAT_MS = 10_000

export interface RecoveryOptions {
  /** True when no other process can hold the store open (embedded PGlite, locked home). */
  exclusive: boolean
  staleMs?: number
  /** Versions another process will still convert (a queued or running conversion job): not abandoned. */
  stillPending?: (versionId: number) => Promise<boolean>
}

export interface Abandoned {
  workspace: string
  name: string
  seq: number
  message: string
}

/** Fails every unfinished version whose owner is gone; returns what it failed. */
export async function failAbandonedVersions(claims: SqlConversionClaims, opts: RecoveryOptions): Promise<Abandoned[]> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS
  const failed: Abandoned[] = []
  for (const v of await claims.unfinished()) {
    if (!isAbandoned(v, opts.exclusive, staleMs)) continue
    if (await opts.stillPending?.(v.id)) continue
    const message = abandonedMessage(v)
    if (await claims.failAbandoned(v, message)) failed.push({ workspace: v.workspace, name: v.name, seq: v.seq, message })
  }
  return failed
}

function isAbandoned(v: UnfinishedVersion, exclusive: boolean, staleMs: number): boolean {
  // No owner recorded: the process died between storing the version and claiming it.
  if (v.owner === null) return exclusive || v.quietMs > staleMs
  const local = localOwnerAlive(v.owner)
  if (local !== null) return !local
  return v.quietMs > staleMs
}

function abandonedMessage(v: UnfinishedVersion): string {
  const who = (o: ConversionOwner) => `pid ${o.pid} on host ${o.host}`
  const retry = 'upload the model again'
  if (v.owner === null) return `conversion interrupted: the process that stored it exited before converting it; ${retry}`
  if (v.status === 'pending_conversion') {
    return `conversion interrupted: the process that was to convert it (${who(v.owner)}) exited before it started; ${retry}`
  }
  return `conversion interrupted: the process converting it (${who(v.owner)}) exited before it finished; ${retry}`
}
