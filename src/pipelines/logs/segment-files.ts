/**
 * A pipeline's logs are immutable Arrow IPC files ("segments") in one directory, named
 * `<first ms>-<last ms>-<writer>-<n>.arrow` so a time-range query can skip files by name. A segment
 * is written to a `.tmp` name, synced, then renamed: a crash leaves either the whole file or a
 * `.tmp` that the next open removes, and never touches older segments.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface Segment {
  path: string
  /** Smallest and largest `time` in the segment, ms since the epoch. */
  minTime: number
  maxTime: number
  bytes: number
}

const NAME = /^(\d{13,})-(\d{13,})-([0-9a-f]+)-(\d+)\.arrow$/
const pad = (ms: number) => String(ms).padStart(13, '0')

/** Distinguishes writers sharing a directory (two processes on one home) so names never collide. */
export const WRITER_ID = randomBytes(4).toString('hex')

export function segmentName(minTime: number, maxTime: number, n: number): string {
  return `${pad(minTime)}-${pad(maxTime)}-${WRITER_ID}-${n}.arrow`
}

/** Creates the directory, removes what an interrupted write left behind, lists segments oldest first. */
export async function openSegments(dir: string): Promise<Segment[]> {
  await mkdir(dir, { recursive: true })
  const entries = await readdir(dir)
  await Promise.all(entries.filter((e) => e.endsWith('.tmp')).map((e) => rm(join(dir, e), { force: true })))
  return listSegments(dir, entries)
}

export async function listSegments(dir: string, entries?: string[]): Promise<Segment[]> {
  const names = entries ?? await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[]
    throw err
  })
  const out: Segment[] = []
  for (const name of names) {
    const m = NAME.exec(name)
    if (m === null) continue
    const path = join(dir, name)
    const s = await stat(path).catch(() => null)
    if (s !== null) out.push({ path, minTime: Number(m[1]), maxTime: Number(m[2]), bytes: s.size })
  }
  return out.sort((a, b) => a.maxTime - b.maxTime || a.minTime - b.minTime || a.path.localeCompare(b.path))
}

export async function writeSegment(dir: string, name: string, bytes: Uint8Array): Promise<Segment & { name: string }> {
  const path = join(dir, name)
  const tmp = `${path}.tmp`
  const file = await open(tmp, 'w')
  try {
    await file.writeFile(bytes)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(tmp, path)
  const m = NAME.exec(name)!
  return { name, path, minTime: Number(m[1]), maxTime: Number(m[2]), bytes: bytes.length }
}

export async function readSegment(segment: Segment): Promise<Uint8Array> {
  return readFile(segment.path)
}

export async function removeSegment(segment: Segment): Promise<void> {
  await rm(segment.path, { force: true })
}
