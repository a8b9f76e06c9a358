import { join } from 'node:path'
import type { ArtifactStore } from './artifact-store.js'
import { FsArtifactStore } from './fs/fs-artifact-store.js'

/** The artifact store of a Quiver home: blobs on the filesystem under `<home>/artifacts`. */
export function openArtifactStore(opts: { home: string }): ArtifactStore {
  return new FsArtifactStore(join(opts.home, 'artifacts'))
}
