import { createReadStream } from 'node:fs'
import { NotFound, RuntimeFailure } from '../../errors.js'
import type { ArtifactStore, BlobRef, PutOptions } from '../artifact-store.js'
import { FsArtifactStore } from '../fs/fs-artifact-store.js'
import type { BlobSource } from '../hashing-writer.js'
import type { UnzipLimits } from '../safe-unzip.js'
import { CacheBound } from './cache-bound.js'
import { assertSha256 } from '../sha256.js'
import type { S3Objects, S3ObjectsOptions } from './s3-objects.js'
import type { S3Location } from './s3-location.js'

export interface S3ArtifactStoreOptions extends S3ObjectsOptions {
  /** A local folder caching blobs for loading (runtimes load from paths) and their extractions. */
  cacheDir: string
  unzipLimits?: UnzipLimits
  /** Bound on the cache's bytes (blobs and extractions); least recently used blobs not in use go first. Absent → unbounded. */
  cacheMaxBytes?: number
}

/**
 * Blobs by SHA-256 in an S3-compatible bucket at `<prefix>/blobs/<aa>/<sha256>`, with a local
 * cache (itself a filesystem store) for loading.
 *
 * `put` streams the body to the cache while hashing it — limits and the expected digest are
 * checked before any byte goes to S3 — then uploads the file under its digest in parts (memory
 * stays bounded whatever the size). S3 makes an object visible only once its upload completes, so
 * a failed or interrupted put leaves no blob. A blob first loaded on this machine is downloaded
 * into the cache with its digest checked on the way; a corrupt object is refused, naming it.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: S3Location
  readonly cache: FsArtifactStore
  /** The cache's size bound, when one is set. */
  readonly bound: CacheBound | null
  readonly #opts: S3ArtifactStoreOptions
  #objects: Promise<S3Objects> | null = null
  readonly #publishing = new Map<string, Promise<void>>()
  readonly #fetching = new Map<string, Promise<string>>()

  constructor(location: S3Location, opts: S3ArtifactStoreOptions) {
    this.location = location
    this.#opts = opts
    this.cache = new FsArtifactStore(opts.cacheDir, { unzipLimits: opts.unzipLimits })
    this.bound = opts.cacheMaxBytes === undefined ? null : new CacheBound(this.cache, opts.cacheMaxBytes)
  }

  /** Keeps a cached blob from eviction until the returned function is called. */
  pin(sha256: string): () => void {
    return this.bound?.pin(assertSha256(sha256)) ?? (() => {})
  }

  /** Runs `work` with the blob pinned, records the use, then brings the cache back within its bound. */
  async #used<T>(sha: string, work: () => Promise<T>): Promise<T> {
    if (!this.bound) return work()
    const release = this.bound.pin(sha)
    try {
      const result = await work()
      await this.bound.touch(sha)
      // Evicting is housekeeping: a failure of it must not fail the load that triggered it.
      await this.bound.enforce().catch(() => [])
      return result
    } finally {
      release()
    }
  }

  /** The SDK is loaded on first use, so installations on the filesystem never load it. */
  objects(): Promise<S3Objects> {
    this.#objects ??= import('./s3-objects.js').then(({ S3Objects }) => new S3Objects(this.location, this.#opts))
    return this.#objects
  }

  async blobKey(sha256: string): Promise<string> {
    const sha = assertSha256(sha256)
    return (await this.objects()).key('blobs', sha.slice(0, 2), sha)
  }

  async put(body: BlobSource, opts: PutOptions = {}): Promise<BlobRef> {
    const objects = await this.objects()
    await objects.checkBucket()
    let release = () => {}
    try {
      const ref = await this.cache.put(body, opts)
      release = this.pin(ref.sha256)
      await this.#publish(ref.sha256)
      await this.bound?.touch(ref.sha256)
      await this.bound?.enforce().catch(() => [])
      return ref
    } finally {
      release()
    }
  }

  putFile(path: string, opts?: PutOptions): Promise<BlobRef> {
    return this.put(createReadStream(path), opts)
  }

  async has(sha256: string): Promise<boolean> {
    const key = await this.blobKey(sha256)
    return (await this.objects()).exists(key)
  }

  async open(sha256: string): Promise<NodeJS.ReadableStream> {
    const key = await this.blobKey(sha256)
    const body = await (await this.objects()).get(key)
    if (!body) throw missing(sha256)
    return body
  }

  async localPath(sha256: string): Promise<string> {
    const sha = assertSha256(sha256)
    let job = this.#fetching.get(sha)
    if (!job) {
      job = this.#used(sha, () => this.#localPath(sha))
      this.#fetching.set(sha, job)
      job.finally(() => this.#fetching.delete(sha)).catch(() => {})
    }
    return job
  }

  async extractedPath(sha256: string): Promise<string> {
    const sha = assertSha256(sha256)
    const release = this.pin(sha)
    try {
      await this.localPath(sha)
      return await this.#used(sha, () => this.cache.extractedPath(sha))
    } finally {
      release()
    }
  }

  async delete(sha256: string): Promise<void> {
    const key = await this.blobKey(sha256)
    await (await this.objects()).delete(key)
    await this.cache.delete(sha256)
  }

  async listBlobs(): Promise<string[]> {
    const objects = await this.objects()
    const out: string[] = []
    for await (const key of objects.list(`${objects.key('blobs')}/`)) {
      const name = key.slice(key.lastIndexOf('/') + 1)
      if (/^[0-9a-f]{64}$/.test(name)) out.push(name)
    }
    return out
  }

  close(): void {
    void this.#objects?.then((o) => o.close(), () => {})
  }

  /** Uploads a cached blob unless the bucket has it; concurrent puts of one digest upload once. */
  #publish(sha: string): Promise<void> {
    let job = this.#publishing.get(sha)
    if (!job) {
      job = (async () => {
        const objects = await this.objects()
        const key = await this.blobKey(sha)
        if (await objects.exists(key)) return
        // The cached copy may predate this put (an earlier download) and have gone bad on disk
        // since; verified once per process (the upload path loads it next anyway), re-put if so.
        const path = await this.cache.localPath(sha).catch(async (err: { code?: string }) => {
          if (err?.code !== 'runtime_failure') throw err
          throw new RuntimeFailure(`artifact blob ${sha} in the local cache is corrupt; delete ${this.cache.blobPath(sha)} and upload again`, { sha256: sha })
        })
        await objects.uploadFile(key, path, { sha256: sha })
      })()
      this.#publishing.set(sha, job)
      job.finally(() => this.#publishing.delete(sha)).catch(() => {})
    }
    return job
  }

  async #localPath(sha: string): Promise<string> {
    if (await this.cache.has(sha)) {
      try {
        return await this.cache.localPath(sha)
      } catch (err) {
        // The cached copy went bad on this disk; the bucket's copy is the truth.
        if ((err as { code?: string }).code !== 'runtime_failure') throw err
        await this.cache.delete(sha)
      }
    }
    const body = await this.open(sha)
    try {
      await this.cache.put(body, { expectedSha256: sha })
    } catch (err) {
      const got = (err as { code?: string; details?: { got?: string } }).code === 'invalid_input'
        ? (err as { details?: { got?: string } }).details?.got : undefined
      if (got) {
        throw new RuntimeFailure(`artifact blob ${sha} is corrupt: its bytes now hash to ${got}`, {
          sha256: sha, actual: got, key: await this.blobKey(sha),
        })
      }
      throw err
    }
    return this.cache.localPath(sha)
  }
}

function missing(sha256: string): NotFound {
  return new NotFound(`artifact blob ${sha256} does not exist`, { sha256 })
}
