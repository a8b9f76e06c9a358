import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { quiverApiSuite } from './quiver-api.suite.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).length
}

quiverApiSuite('local, PGlite', async () => {
  const home = await mkdtemp(join(tmpdir(), 'quiver-local-api-'))
  const api = await createLocalQuiver({ home, databaseUrl: '' })
  return {
    api,
    blobCount: () => countFiles(join(home, 'artifacts/blobs')),
    close: async () => {
      await api.close()
      await rm(home, { recursive: true, force: true })
    },
  }
})
