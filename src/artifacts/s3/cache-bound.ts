/**
 * A size bound on the S3 store's local cache of blobs (and their extracted archives): once the
 * cache holds more than the bound, the blobs used longest ago go first, and never one in use.
 *
 * "Last use" is the blob file's modification time, set each time the store hands the blob out,
 * so the order survives restarts. "In use": pinned in this process (a download or upload under
 * way, or a caller's `pin`), or open or mapped by any process of this host (a Python worker
 * holding a model file, a runtime that mapped it), as /proc shows.
 */
import { readdir, readlink, readFile, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidInput } from '../../errors.js'
import type { FsArtifactStore } from '../fs/fs-artifact-store.js'

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** `QUIVER_CACHE_MAX_BYTES`: bytes, or a size such as `20Gi`, `500M`; unset or empty → no bound. */
export function cacheBoundFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.QUIVER_CACHE_MAX_BYTES?.trim()
  if (!raw) return undefined
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b?)$/i.exec(raw)
  if (!m) {
    throw new InvalidInput(`QUIVER_CACHE_MAX_BYTES must be a size such as 20Gi or 536870912, got '${raw}'`, {
      field: 'QUIVER_CACHE_MAX_BYTES', expected: 'bytes, or a number with K, M, G or T', got: raw,
    })
  }
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!)
}

export interface CachedBlob {
  sha256: string
  /** The blob file and its extraction, if any. */
  bytes: number
  lastUsedMs: number
}

export class CacheBound {
  readonly maxBytes: number
  readonly #cache: FsArtifactStore
  readonly #pins = new Map<string, number>()
  #running: Promise<string[]> | null = null
  #again = false

  constructor(cache: FsArtifactStore, maxBytes: number) {
    this.#cache = cache
    this.maxBytes = maxBytes
  }

  /** Keeps the blob while the returned function has not been called. */
  pin(sha256: string): () => void {
    this.#pins.set(sha256, (this.#pins.get(sha256) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const n = (this.#pins.get(sha256) ?? 1) - 1
      if (n <= 0) this.#pins.delete(sha256)
      else this.#pins.set(sha256, n)
    }
  }

  /** Records a use of the blob now (its place in the eviction order). */
  async touch(sha256: string): Promise<void> {
    const now = new Date()
    await utimes(this.#cache.blobPath(sha256), now, now).catch(() => {})
  }

  /** The cached blobs with their sizes and last use. */
  async list(): Promise<CachedBlob[]> {
    const out: CachedBlob[] = []
    for (const sha of await this.#cache.listBlobs()) {
      const info = await stat(this.#cache.blobPath(sha)).catch(() => null)
      if (!info) continue
      out.push({ sha256: sha, bytes: info.size + (await treeBytes(join(this.#cache.root, 'extracted', sha))), lastUsedMs: info.mtimeMs })
    }
    return out
  }

  /** Evicts until the cache fits its bound; resolves with what it removed. One pass at a time. */
  enforce(): Promise<string[]> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      const removed: string[] = []
      do {
        this.#again = false
        removed.push(...(await this.#pass()))
      } while (this.#again)
      return removed
    })().finally(() => { this.#running = null })
    return this.#running
  }

  async #pass(): Promise<string[]> {
    const blobs = await this.list()
    let total = blobs.reduce((n, b) => n + b.bytes, 0)
    if (total <= this.maxBytes) return []
    const open = await openUnder(this.#cache.root)
    const removed: string[] = []
    for (const b of blobs.sort((x, y) => x.lastUsedMs - y.lastUsedMs)) {
      if (total <= this.maxBytes) break
      if (this.#pins.has(b.sha256) || open.has(b.sha256)) continue
      await this.#cache.delete(b.sha256)
      total -= b.bytes
      removed.push(b.sha256)
    }
    return removed
  }
}

async function treeBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  let n = 0
  for (const e of entries) {
    if (e.isFile()) n += (await stat(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).catch(() => null))?.size ?? 0
  }
  return n
}

/** Digests of blobs under `root` that a process of this host has open or mapped (blob files and extracted folders). */
async function openUnder(root: string): Promise<Set<string>> {
  const shas = new Set<string>()
  const note = (path: string) => {
    if (!path.startsWith(root)) return
    const m = /\/(?:blobs\/[0-9a-f]{2}|extracted)\/([0-9a-f]{64})(?:\/|$| )/.exec(path.slice(root.length))
    if (m) shas.add(m[1]!)
  }
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) note(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8').catch(() => '')
    if (maps.includes(root)) for (const line of maps.split('\n')) note(line.slice(line.indexOf('/')))
  }
  return shas
}
