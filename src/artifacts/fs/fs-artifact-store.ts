import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { NotFound, RuntimeFailure } from '../../errors.js'
import type { ArtifactStore, BlobRef, PutOptions } from '../artifact-store.js'
import { writeHashed, type BlobSource } from '../hashing-writer.js'
import type { UnzipLimits } from '../safe-unzip.js'
import { assertSha256, hashFile } from '../sha256.js'
import { sweepDeadTemp } from './sweep-temp.js'

/** Blob paths whose digest this process has already checked, with the check in flight or done. */
const VERIFIED = new Map<string, Promise<void>>()

export interface FsArtifactStoreOptions {
  /** Limits for `extractedPath` (defaults: 10 000 entries, 4 GiB). */
  unzipLimits?: UnzipLimits
}

/**
 * Blobs on the local filesystem under `root` (normally `<home>/artifacts`):
 * `blobs/<aa>/<sha256>`, uploads in progress in `tmp/`, extracted archives in `extracted/<sha256>/`.
 * Temporary files live on the same filesystem so the final rename is atomic.
 */
export class FsArtifactStore implements ArtifactStore {
  readonly root: string
  readonly #unzipLimits: UnzipLimits
  readonly #extracting = new Map<string, Promise<string>>()
  #swept: Promise<unknown> | null = null

  constructor(root: string, opts: FsArtifactStoreOptions = {}) {
    this.root = root
    this.#unzipLimits = opts.unzipLimits ?? {}
  }

  blobPath(sha256: string): string {
    const sha = assertSha256(sha256)
    return join(this.root, 'blobs', sha.slice(0, 2), sha)
  }

  async put(body: BlobSource, opts: PutOptions = {}): Promise<BlobRef> {
    // A stream may fail while the temp file is being set up, before anything iterates it; without
    // a listener that 'error' would crash the process. Iteration still rethrows the error.
    if (typeof (body as NodeJS.ReadableStream).on === 'function') (body as NodeJS.ReadableStream).on('error', () => {})
    if (opts.expectedSha256 !== undefined) assertSha256(opts.expectedSha256, 'expectedSha256')
    const tmpDir = join(this.root, 'tmp')
    await mkdir(tmpDir, { recursive: true })
    await this.sweep()
    const tmp = join(tmpDir, `put-${process.pid}-${randomBytes(8).toString('hex')}`)
    const ref = await writeHashed(body, tmp, opts)
    const final = this.blobPath(ref.sha256)
    try {
      if (await exists(final)) {
        await unlink(tmp)
      } else {
        await mkdir(join(final, '..'), { recursive: true })
        // Two writers of the same bytes may both get here; either rename leaves the same content.
        await rename(tmp, final)
        await fsyncDir(join(final, '..'))
      }
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    return ref
  }

  putFile(path: string, opts?: PutOptions): Promise<BlobRef> {
    return this.put(createReadStream(path), opts)
  }

  async has(sha256: string): Promise<boolean> {
    return exists(this.blobPath(sha256))
  }

  async open(sha256: string): Promise<NodeJS.ReadableStream> {
    const path = this.blobPath(sha256)
    // Opening first makes a missing blob a NotFound here rather than a stream error later.
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? missing(sha256) : err
    })
    return fh.createReadStream()
  }

  async localPath(sha256: string): Promise<string> {
    const path = this.blobPath(sha256)
    let check = VERIFIED.get(path)
    if (!check) {
      check = verify(path, sha256.toLowerCase())
      VERIFIED.set(path, check)
      check.catch(() => VERIFIED.delete(path))
    }
    await check
    return path
  }

  async extractedPath(sha256: string): Promise<string> {
    const sha = assertSha256(sha256)
    let job = this.#extracting.get(sha)
    if (!job) {
      job = this.#extract(sha)
      this.#extracting.set(sha, job)
      job.finally(() => this.#extracting.delete(sha)).catch(() => {})
    }
    return job
  }

  async delete(sha256: string): Promise<void> {
    const path = this.blobPath(sha256)
    VERIFIED.delete(path)
    await rm(join(this.root, 'extracted', sha256.toLowerCase()), { recursive: true, force: true })
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }

  async listBlobs(): Promise<string[]> {
    const shards = await readdir(join(this.root, 'blobs')).catch(() => [] as string[])
    const all: string[] = []
    for (const shard of shards) {
      for (const name of await readdir(join(this.root, 'blobs', shard)).catch(() => [] as string[])) {
        if (/^[0-9a-f]{64}$/.test(name)) all.push(name)
      }
    }
    return all
  }

  /** Once per store: removes what writers that crashed left in `tmp/` and `extracted/`. */
  sweep(): Promise<unknown> {
    this.#swept ??= sweepDeadTemp([join(this.root, 'tmp'), join(this.root, 'extracted')]).catch(() => [])
    return this.#swept
  }

  async #extract(sha: string): Promise<string> {
    const final = join(this.root, 'extracted', sha)
    if (await exists(final)) return final
    const zipPath = await this.localPath(sha)
    await this.sweep()
    const tmp = join(this.root, 'extracted', `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`)
    // Loaded here: yauzl is needed only by zipped models, not on every open of the store.
    const { safeUnzip } = await import('../safe-unzip.js')
    await safeUnzip(zipPath, tmp, this.#unzipLimits)
    try {
      await rename(tmp, final)
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      // Another process finished the same extraction first; its folder is as good as ours.
      const code = (err as NodeJS.ErrnoException).code
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(final))) return final
      throw err
    }
    return final
  }
}

async function verify(path: string, sha256: string): Promise<void> {
  let actual: string
  try {
    actual = await hashFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missing(sha256)
    throw err
  }
  if (actual !== sha256) {
    throw new RuntimeFailure(`artifact blob ${sha256} is corrupt: its bytes now hash to ${actual}`, {
      sha256, actual, path,
    })
  }
}

function missing(sha256: string): NotFound {
  return new NotFound(`artifact blob ${sha256} does not exist`, { sha256 })
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
