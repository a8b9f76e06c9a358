/**
 * The core behaviour suite on the distributed configuration: PostgreSQL (a fresh schema), artifacts
 * in S3 (s3rver in process) and online features in Redis, in process and over HTTP.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { createApp } from '../../src/server/app.js'
import { startServer } from '../../src/server/http-server.js'
import { quiverApiSuite } from '../api/quiver-api.suite.js'
import { S3_CREDENTIALS, startS3 } from '../artifacts/s3-server.js'
import { postgresSkipReason, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { databaseUrl } from './cluster.js'

const skip = await postgresSkipReason('the distributed core suite')

async function openDistributed(): Promise<{ api: LocalQuiverApi; close(): Promise<void> }> {
  const id = randomBytes(4).toString('hex')
  const schema = `quiver_core_${id}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  const s3 = await startS3(['quiver-core'])
  Object.assign(process.env, {
    QUIVER_ARTIFACTS: `s3://quiver-core/${id}`,
    QUIVER_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    QUIVER_REDIS_URL: process.env.QUIVER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUIVER_REDIS_PREFIX: `quiver-core-${id}:`,
  })
  const home = await mkdtemp(join(tmpdir(), 'quiver-core-'))
  const api = await createLocalQuiver({ home, databaseUrl: databaseUrl(schema, `quiver-core-${id}`) })
  await api.followChanges()
  return {
    api,
    async close() {
      await api.close()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {})
      await admin.end()
      await s3.close()
      await rm(home, { recursive: true, force: true })
    },
  }
}

if (!skip) {
  quiverApiSuite('local, PostgreSQL + S3 + Redis', async () => {
    const { api, close } = await openDistributed()
    return { api, blobCount: async () => (await api.artifacts.listBlobs()).length, close }
  })

  quiverApiSuite('remote, over HTTP to a server on PostgreSQL + S3 + Redis', async () => {
    const { api, close } = await openDistributed()
    const server = await startServer(createApp({ api }).app, { host: '127.0.0.1', port: 0 })
    return {
      api: new RemoteQuiverApi({ url: server.url }),
      blobCount: async () => (await api.artifacts.listBlobs()).length,
      async close() {
        await server.close()
        await close()
      },
    }
  })
}
