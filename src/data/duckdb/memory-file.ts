/**
 * Bytes handed to DuckDB, and bytes DuckDB writes, without a file in any folder. DuckDB reads and
 * writes only through its file systems and its C API has no way to register a buffer, so a body is
 * put in an unnamed file in RAM: `open(O_TMPFILE)` on the tmpfs at /dev/shm makes an inode with no
 * name in any directory (what `memfd_create` makes, which Node does not expose), and DuckDB opens
 * it as /proc/self/fd/N. The kernel frees it when the descriptor closes, also when the process
 * dies, so nothing is ever left behind. When /dev/shm is full the same kind of unnamed file is made
 * on the temporary folder's file system; only where the platform has none (not Linux) is a private
 * temporary folder, removed afterwards, used instead.
 */
import { constants } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Linux's O_TMPFILE: __O_TMPFILE (the same bit on x86-64 and arm64) with O_DIRECTORY. */
const O_TMPFILE = 0o20000000 | (constants.O_DIRECTORY ?? 0)
const RAM_DIR = '/dev/shm'

/** An unnamed read-write file in `dir`, or null where the platform or the folder cannot make one. */
async function openUnnamed(dir: string): Promise<FileHandle | null> {
  if (process.platform !== 'linux') return null
  try {
    return await open(dir, constants.O_RDWR | O_TMPFILE, 0o600)
  } catch {
    return null
  }
}

/**
 * Where unnamed files are made, first choice first: RAM, then the temporary folder's file system
 * (still no name, so still nothing left behind) for when /dev/shm is too small, as in containers.
 */
const places = () => [RAM_DIR, tmpdir()]

/** A write that failed for want of room, which the next place may have. */
const isFull = (err: unknown) => /ENOSPC|EFBIG|No space left|File too large/.test(`${(err as { code?: string }).code} ${(err as Error).message}`)

const pathOf = (file: FileHandle) => `/proc/self/fd/${file.fd}`

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.byteLength;) at += (await file.write(data, at, data.byteLength - at, at)).bytesWritten
}

/** Runs `job` with a path DuckDB can read `data` at (UTF-8 for text); nothing is left afterwards. */
export async function withBytesAsFile<T>(data: Uint8Array | string, ext: string, job: (path: string) => Promise<T>): Promise<T> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  for (const place of places()) {
    const file = await openUnnamed(place)
    if (!file) continue
    try {
      try {
        await writeAll(file, bytes)
      } catch (err) {
        if (isFull(err)) continue
        throw err
      }
      return await job(pathOf(file))
    } finally {
      await file.close()
    }
  }
  return inPrivateFolder(async (dir) => {
    const path = join(dir, `input${ext}`)
    await writeFile(path, bytes)
    return job(path)
  })
}

/** Runs `write` with a path DuckDB writes to (COPY … TO with USE_TMP_FILE false) and returns what it wrote. */
export async function bytesWrittenTo(ext: string, write: (path: string) => Promise<void>): Promise<Uint8Array> {
  for (const place of places()) {
    const file = await openUnnamed(place)
    if (!file) continue
    try {
      try {
        await write(pathOf(file))
      } catch (err) {
        if (isFull(err)) continue
        throw err
      }
      const out = new Uint8Array((await file.stat()).size)
      for (let at = 0; at < out.byteLength;) {
        const { bytesRead } = await file.read(out, at, out.byteLength - at, at)
        if (bytesRead === 0) break
        at += bytesRead
      }
      return out
    } finally {
      await file.close()
    }
  }
  return inPrivateFolder(async (dir) => {
    const path = join(dir, `output${ext}`)
    await write(path)
    const b = await readFile(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  })
}

async function inPrivateFolder<T>(job: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-data-'))
  try {
    return await job(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
