import { randomBytes } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Conflict, InvalidInput } from '../../errors.js'

export const LOCK_FILE_NAME = 'quiver.lock'
export const DEFAULT_LOCK_WAIT_MS = 10_000
const POLL_MS = 100
/** A lock file that never got its owner written (creator died at once) counts as stale after this. */
const UNREADABLE_STALE_MS = 5_000

interface LockOwner {
  pid: number
  nonce: string
}

/** How long to wait for a busy home: `QUIVER_LOCK_WAIT_MS`, else 10 s. */
export function lockWaitFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUIVER_LOCK_WAIT_MS
  if (raw === undefined || raw === '') return DEFAULT_LOCK_WAIT_MS
  const ms = Number(raw)
  if (!Number.isInteger(ms) || ms < 0) {
    throw new InvalidInput(`QUIVER_LOCK_WAIT_MS must be a whole number of milliseconds, got '${raw}'`, {
      field: 'QUIVER_LOCK_WAIT_MS', expected: 'integer >= 0', got: raw,
    })
  }
  return ms
}

/**
 * An exclusive, cross-process lock on a Quiver home: a file created with O_EXCL that holds the
 * owner's pid. A lock whose pid is no longer alive is taken over. Released on `release()` and on
 * process exit.
 */
export class HomeLock {
  readonly home: string
  readonly path: string
  /** The pid of a holder that died without releasing the home, when this lock took over from it. */
  readonly tookOverFrom: number | null
  readonly #content: string
  readonly #onExit: () => void
  #released = false

  private constructor(home: string, path: string, content: string, tookOverFrom: number | null) {
    this.home = home
    this.path = path
    this.tookOverFrom = tookOverFrom
    this.#content = content
    this.#onExit = () => this.#releaseSync()
    process.on('exit', this.#onExit)
  }

  /** Waits up to `waitMs` for the home to be free, then refuses with `Conflict`. */
  static async acquire(home: string, opts: { waitMs?: number } = {}): Promise<HomeLock> {
    const waitMs = opts.waitMs ?? lockWaitFromEnv()
    await mkdir(home, { recursive: true })
    const path = join(home, LOCK_FILE_NAME)
    const owner: LockOwner = { pid: process.pid, nonce: randomBytes(8).toString('hex') }
    const content = JSON.stringify(owner)
    const deadline = Date.now() + waitMs
    let tookOverFrom: number | null = null
    for (;;) {
      if (await tryCreate(path, content)) return new HomeLock(home, path, content, tookOverFrom)
      const current = await readLock(path)
      if (current === undefined) continue
      if (await isStale(path, current)) {
        tookOverFrom = current.owner?.pid ?? 0
        await removeStale(path, current.raw)
        continue
      }
      if (Date.now() >= deadline) {
        const pid = current.owner?.pid ?? 'unknown'
        throw new Conflict(
          `Quiver home ${home} is in use by process ${pid}; stop it or talk to it with --server URL`,
          { home, pid },
        )
      }
      await sleep(POLL_MS)
    }
  }

  async release(): Promise<void> {
    if (this.#released) return
    this.#released = true
    process.removeListener('exit', this.#onExit)
    const raw = await readFile(this.path, 'utf8').catch(() => null)
    if (raw === this.#content) await unlink(this.path).catch(() => {})
  }

  #releaseSync(): void {
    if (this.#released) return
    this.#released = true
    try {
      if (readFileSync(this.path, 'utf8') === this.#content) unlinkSync(this.path)
    } catch {
      // already gone
    }
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  let fh
  try {
    fh = await open(path, 'wx')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    await fh.writeFile(content)
    await fh.sync()
  } finally {
    await fh.close()
  }
  return true
}

/** `undefined` when the file vanished; `owner` null when it cannot be parsed (yet). */
async function readLock(path: string): Promise<{ raw: string; owner: LockOwner | null } | undefined> {
  let raw: string
  try {
    raw = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockOwner>
    if (Number.isInteger(parsed.pid) && typeof parsed.nonce === 'string') {
      return { raw, owner: { pid: parsed.pid!, nonce: parsed.nonce } }
    }
  } catch {
    // half-written or foreign content
  }
  return { raw, owner: null }
}

async function isStale(path: string, current: { owner: LockOwner | null }): Promise<boolean> {
  if (current.owner) return !isAlive(current.owner.pid)
  const info = await stat(path).catch(() => null)
  return info !== null && Date.now() - info.mtimeMs > UNREADABLE_STALE_MS
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Two waiters may both find the same dead owner. Unlinking by name could then delete the lock the
 * faster one has just created, so the stale file is first renamed aside and only deleted if it is
 * still the one we judged stale; otherwise it is put back.
 */
async function removeStale(path: string, staleRaw: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const raw = await readFile(aside, 'utf8').catch(() => null)
  if (raw !== staleRaw) await link(aside, path).catch(() => {})
  await unlink(aside).catch(() => {})
}
