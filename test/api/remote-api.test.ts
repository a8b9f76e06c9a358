import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { createApp } from '../../src/server/app.js'
import { startServer } from '../../src/server/http-server.js'
import { quiverApiSuite } from './quiver-api.suite.js'

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).length
}

quiverApiSuite('remote, over HTTP to a real server on 127.0.0.1', async () => {
  const home = await mkdtemp(join(tmpdir(), 'quiver-remote-api-'))
  const local = await createLocalQuiver({ home, databaseUrl: '' })
  const server = await startServer(createApp({ api: local }).app, { host: '127.0.0.1', port: 0 })
  return {
    api: new RemoteQuiverApi({ url: server.url }),
    blobCount: () => countFiles(join(home, 'artifacts/blobs')),
    close: async () => {
      await server.close()
      await local.close()
      await rm(home, { recursive: true, force: true })
    },
  }
})
