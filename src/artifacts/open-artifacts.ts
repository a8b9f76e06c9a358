import { join, resolve } from 'node:path'
import type { ArtifactStore } from './artifact-store.js'
import { FsArtifactStore } from './fs/fs-artifact-store.js'
import { S3ArtifactStore } from './s3/s3-artifact-store.js'
import { parseS3Location } from './s3/s3-location.js'
import { cacheBoundFromEnv } from './s3/cache-bound.js'

export interface OpenArtifactsOptions {
  home: string
  /**
   * Where blobs live: `s3://bucket/prefix` (an S3-compatible store, cached under
   * `<home>/cache/artifacts`) or a folder; defaults to `QUIVER_ARTIFACTS`, then `<home>/artifacts`.
   */
  artifacts?: string
  env?: NodeJS.ProcessEnv
}

/** The artifact store of a Quiver installation: the filesystem under `<home>/artifacts` unless configured. */
export function openArtifactStore(opts: OpenArtifactsOptions): ArtifactStore {
  const env = opts.env ?? process.env
  const where = (opts.artifacts ?? env.QUIVER_ARTIFACTS ?? '').trim()
  if (where.startsWith('s3://')) {
    return new S3ArtifactStore(parseS3Location(where, env), { cacheDir: join(opts.home, 'cache', 'artifacts'), cacheMaxBytes: cacheBoundFromEnv(env) })
  }
  return new FsArtifactStore(where ? resolve(where) : join(opts.home, 'artifacts'))
}
