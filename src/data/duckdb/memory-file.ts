/**
 * Bytes handed to DuckDB, and bytes DuckDB writes, without a file in any folder. DuckDB reads and
 * writes only through its file systems and its C API has no way to register a buffer, so a body is
 * put in an unnamed file in RAM: `open(O_TMPFILE)` on the tmpfs at /dev/shm makes an inode with no
 * name in any directory (what `memfd_create` makes, which Node does not expose), and DuckDB opens
 * it as /proc/self/fd/N. The kernel frees it when the descriptor closes, also when the process
 * dies, so nothing is ever left behind. Where the platform has no such file (not Linux, no
 * /dev/shm), a private temporary folder removed afterwards is used instead.
 */
import { constants } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Linux's O_TMPFILE: __O_TMPFILE (the same bit on x86-64 and arm64) with O_DIRECTORY. */
const O_TMPFILE = 0o20000000 | (constants.O_DIRECTORY ?? 0)
const RAM_DIR = '/dev/shm'

let unnamedWorks: boolean | undefined

/** An unnamed read-write file in RAM, or null where the platform has none. */
async function openUnnamed(): Promise<FileHandle | null> {
  if (process.platform !== 'linux' || unnamedWorks === false) return null
  try {
    const file = await open(RAM_DIR, constants.O_RDWR | O_TMPFILE, 0o600)
    unnamedWorks = true
    return file
  } catch {
    unnamedWorks = false
    return null
  }
}

const pathOf = (file: FileHandle) => `/proc/self/fd/${file.fd}`

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.byteLength;) at += (await file.write(data, at, data.byteLength - at, at)).bytesWritten
}

/** Runs `job` with a path DuckDB can read `data` at (UTF-8 for text); nothing is left afterwards. */
export async function withBytesAsFile<T>(data: Uint8Array | string, ext: string, job: (path: string) => Promise<T>): Promise<T> {
  const file = await openUnnamed()
  if (file === null) return inPrivateFolder(async (dir) => {
    const path = join(dir, `input${ext}`)
    await writeFile(path, data)
    return job(path)
  })
  try {
    await writeAll(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    return await job(pathOf(file))
  } finally {
    await file.close()
  }
}

/** Runs `write` with a path DuckDB writes to (COPY … TO with USE_TMP_FILE false) and returns what it wrote. */
export async function bytesWrittenTo(ext: string, write: (path: string) => Promise<void>): Promise<Uint8Array> {
  const file = await openUnnamed()
  if (file === null) return inPrivateFolder(async (dir) => {
    const path = join(dir, `output${ext}`)
    await write(path)
    const b = await readFile(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  })
  try {
    await write(pathOf(file))
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

async function inPrivateFolder<T>(job: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-data-'))
  try {
    return await job(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
