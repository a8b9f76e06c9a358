/**
 * What a reference resolved to in an embedded home, kept in `<home>/resolved/` so that a one-shot
 * `quiver infer` can run without opening the database. A snapshot is stamped with the store epoch
 * (store/pglite/store-epoch.ts) under which it was read, and holds only while the epoch is still
 * that one: any process that opens the database since (to move a tag, upload, delete) changes
 * it, and the next read resolves afresh.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { VersionRecord } from '../records/version-record.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import { epochClosedHere, readStoreEpoch } from '../store/pglite/store-epoch.js'

const SNAPSHOT_DIR = 'resolved'

interface ResolvedSnapshot {
  epoch: string
  workspace: string
  ref: string
  version: VersionRecord
}

function snapshotPath(home: string, workspace: string, ref: string): string {
  // Named by a digest: a reference holds characters ('/', ':', '#') a file name cannot.
  return join(home, SNAPSHOT_DIR, `${createHash('sha256').update(`${workspace}\u0000${ref}`).digest('hex')}.json`)
}

/** The ready version `ref` resolved to, if the home has not been opened since it was read; else null. */
export async function readResolvedVersion(home: string, workspaceGiven: string | undefined, ref: string): Promise<VersionRecord | null> {
  const workspace = workspaceGiven ?? DEFAULT_WORKSPACE
  const [epoch, text] = await Promise.all([readStoreEpoch(home), readFile(snapshotPath(home, workspace, ref), 'utf8').catch(() => null)])
  if (!epoch?.startsWith('closed:') || text === null) return null
  let snapshot: ResolvedSnapshot
  try {
    snapshot = JSON.parse(text) as ResolvedSnapshot
  } catch {
    return null
  }
  const ok = snapshot.epoch === epoch && snapshot.workspace === workspace && snapshot.ref === ref && snapshot.version?.status === 'ready'
  return ok ? snapshot.version : null
}

/**
 * Keeps `version` as what `ref` resolves to, stamped with the epoch this process's own close of
 * the home wrote. Call it after closing, and only when nothing in this process changed the store
 * between the resolution and the close.
 */
export async function saveResolvedVersion(home: string, workspaceGiven: string | undefined, ref: string, version: VersionRecord): Promise<void> {
  const workspace = workspaceGiven ?? DEFAULT_WORKSPACE
  const epoch = epochClosedHere(home)
  if (!epoch) return
  const path = snapshotPath(home, workspace, ref)
  await mkdir(join(home, SNAPSHOT_DIR), { recursive: true })
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify({ epoch, workspace, ref, version } satisfies ResolvedSnapshot))
  await rename(temp, path)
}
