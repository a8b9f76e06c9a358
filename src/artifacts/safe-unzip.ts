import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import { Conflict, errorMessage, InvalidInput, isQuiverError } from '../errors.js'

export interface UnzipLimits {
  /** Most entries (files and folders) an archive may hold. Default 10 000. */
  maxEntries?: number
  /** Most bytes all entries may expand to, counted as written. Default 4 GiB. */
  maxBytes?: number
}

export const DEFAULT_UNZIP_LIMITS: Required<UnzipLimits> = { maxEntries: 10_000, maxBytes: 4 * 1024 ** 3 }

const S_IFMT = 0o170000
const S_IFLNK = 0o120000

/**
 * Extracts `zipPath` into `destDir`, which must not exist yet. Refuses, as `InvalidInput` naming the
 * entry, any entry that would land outside `destDir` (`..`, absolute paths, drive letters), symlinks,
 * encrypted entries, duplicates, more than `maxEntries` entries and more than `maxBytes` expanded
 * bytes (counted as written, since a zip bomb's declared sizes lie). On refusal `destDir` is removed.
 */
export async function safeUnzip(zipPath: string, destDir: string, limits: UnzipLimits = {}): Promise<{ entries: number; bytes: number }> {
  const { maxEntries, maxBytes } = { ...DEFAULT_UNZIP_LIMITS, ...limits }
  const root = resolve(destDir)
  const zip = await openZip(zipPath)
  try {
    await mkdir(dirname(root), { recursive: true })
    await mkdir(root)
  } catch (err) {
    zip.close()
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Conflict(`cannot extract into ${root}: it already exists`, { path: root })
    throw err
  }
  try {
    if (zip.entryCount > maxEntries) {
      throw new InvalidInput(`zip archive has ${zip.entryCount} entries, more than the limit of ${maxEntries}`, {
        field: 'entries', expected: `<= ${maxEntries}`, got: String(zip.entryCount),
      })
    }
    let entries = 0
    const budget = { declared: 0, written: 0, maxBytes }
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const name = entryName(entry)
      if (++entries > maxEntries) throw refuse(name, `is past the limit of ${maxEntries} entries`)
      const target = checkedTarget(root, name, entry)
      budget.declared += entry.uncompressedSize
      if (budget.declared > maxBytes) throw refuse(name, `takes the archive past the limit of ${maxBytes} expanded bytes`)
      const isDir = name.endsWith('/')
      await mkdir(isDir ? target : dirname(target), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        throw refuse(name, `collides with another entry (${err.code})`)
      })
      if (!isDir) await extractEntry(zip, entry, name, target, budget)
    }
    return { entries, bytes: budget.written }
  } catch (err) {
    zip.close()
    await rm(root, { recursive: true, force: true })
    throw err
  }
}

function refuse(name: string, why: string): InvalidInput {
  return new InvalidInput(`zip entry '${name}' ${why}`, { field: 'entry', got: name })
}

function openZip(zipPath: string): Promise<ZipFile> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zip) => {
      if (err || !zip) {
        reject(new InvalidInput(`${zipPath} is not a readable zip archive: ${errorMessage(err)}`, { field: 'file', got: zipPath }))
        return
      }
      // Errors after the last entry (there are none by design) must never crash the process.
      zip.on('error', () => {})
      resolvePromise(zip)
    })
  })
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolvePromise, reject) => {
    const done = (fn: () => void) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
      fn()
    }
    const onEntry = (e: Entry) => done(() => resolvePromise(e))
    const onEnd = () => done(() => resolvePromise(null))
    const onError = (err: Error) => done(() => reject(new InvalidInput(`zip archive is malformed: ${err.message}`)))
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError)
    zip.readEntry()
  })
}

/** Names are decoded here (not by yauzl) so that a bad name is refused by us, naming it. */
function entryName(entry: Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileName as unknown as Buffer, entry.extraFields, false)
}

function checkedTarget(root: string, name: string, entry: Entry): string {
  if (name === '' || name.includes('\0')) throw refuse(name, 'has an empty or invalid name')
  if (name.startsWith('/')) throw refuse(name, 'has an absolute path')
  if (/^[a-zA-Z]:/.test(name)) throw refuse(name, 'has a drive letter')
  if (name.split('/').includes('..')) throw refuse(name, "climbs out of the archive with '..'")
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) throw refuse(name, 'is a symbolic link')
  if (entry.isEncrypted()) throw refuse(name, 'is encrypted')
  const target = resolve(root, name)
  if (target !== root && !target.startsWith(root + sep)) throw refuse(name, 'resolves outside the destination')
  return target
}

async function extractEntry(zip: ZipFile, entry: Entry, name: string, target: string,
  budget: { written: number; maxBytes: number }): Promise<void> {
  const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0
  let source: Readable
  try {
    source = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (err, s) => (err || !s ? rej(err) : res(s))))
  } catch (err) {
    throw refuse(name, `cannot be read: ${errorMessage(err)}`)
  }
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      budget.written += chunk.byteLength
      if (budget.written > budget.maxBytes) cb(refuse(name, `takes the archive past the limit of ${budget.maxBytes} expanded bytes`))
      else cb(null, chunk)
    },
  })
  try {
    await pipeline(source, counter, createWriteStream(target, { flags: 'wx', mode: executable ? 0o755 : 0o644 }))
  } catch (err) {
    if (isQuiverError(err)) throw err
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(name, 'appears twice in the archive')
    throw refuse(name, `is corrupt: ${errorMessage(err)}`)
  }
}
