/**
 * Several real `quiver serve` processes sharing one PostgreSQL schema (fresh per cluster) and one
 * S3 bucket (s3rver in the test process), each with its own home for caches.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { S3_CREDENTIALS, startS3, type TestS3 } from '../artifacts/s3-server.js'
import { TEST_DATABASE_URL } from '../helpers/postgres.js'
import { serve, type Served } from '../helpers/serve.js'

export interface Cluster {
  schema: string
  /** The application_name every replica's connections carry (to find and kill them). */
  appName: string
  env: NodeJS.ProcessEnv
  replicas: (Served | null)[]
  start(i: number): Promise<Served>
  kill(i: number, signal?: NodeJS.Signals): Promise<void>
  admin: pg.Client
  close(): Promise<void>
}

export function databaseUrl(schema: string, appName: string, base = TEST_DATABASE_URL): string {
  const options = encodeURIComponent(`-c search_path=${schema}`)
  return `${base}${base.includes('?') ? '&' : '?'}options=${options}&application_name=${appName}`
}

export async function startCluster(n: number, opts: { databaseBase?: string; extraEnv?: NodeJS.ProcessEnv } = {}): Promise<Cluster> {
  const id = randomBytes(4).toString('hex')
  const schema = `quiver_dist_${id}`
  const appName = `quiver-dist-${id}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  const s3: TestS3 = await startS3(['quiver-dist'])
  const root = await mkdtemp(join(tmpdir(), 'quiver-dist-'))
  const env: NodeJS.ProcessEnv = {
    QUIVER_DATABASE_URL: databaseUrl(schema, appName, opts.databaseBase),
    QUIVER_ARTIFACTS: `s3://quiver-dist/${id}`,
    QUIVER_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    ...opts.extraEnv,
  }
  const replicas: (Served | null)[] = Array.from({ length: n }, () => null)
  const cluster: Cluster = {
    schema, appName, env, replicas, admin,
    async start(i) {
      const served = await serve(join(root, `replica-${i}`), ['--log-level', 'warn'], env)
      replicas[i] = served
      return served
    },
    async kill(i, signal = 'SIGKILL') {
      const r = replicas[i]
      if (!r) return
      replicas[i] = null
      if (r.child.exitCode !== null) return
      const exited = new Promise((resolve) => r.child.once('exit', resolve))
      r.child.kill(signal)
      await exited
    },
    async close() {
      await Promise.all(replicas.map((_, i) => cluster.kill(i)))
      await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {})
      await admin.end().catch(() => {})
      await s3.close()
      await rm(root, { recursive: true, force: true })
    },
  }
  try {
    // One at a time: the first migrates the schema.
    for (let i = 0; i < n; i++) await cluster.start(i)
  } catch (err) {
    await cluster.close()
    throw err
  }
  return cluster
}

export { IRIS_ONNX } from '../server/harness.js'

export function v2Request(rows = 1) {
  return { inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 4], data: Array.from({ length: rows }, () => [5.1, 3.5, 1.4, 0.2]).flat() }] }
}

export async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
}
