/**
 * `quiver serve --workers N` on PostgreSQL: the same one-row REST load on the logistic regression
 * with one server process and with two sharing the port, alternated, so the figure is how serving
 * scales with processes on this machine (whose cores wrk shares). Skipped without PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Measurement } from '../measure.js'
import type { Scenario } from '../scenario.js'
import { wrkAvailable, wrkMeasure } from '../wrk.js'
import { LOGREG_DIR, listeningUrl, stopChild } from './http-server-process.js'

const BIN = fileURLToPath(new URL('../../bin/quiver', import.meta.url))
const ADMIN_URL = process.env.QUIVER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const CONNECTIONS = 32
const BODY = JSON.stringify([{ inputs: [5.1, 3.5, 1.4, 0.2] }])

function serveWorkersScenario(): Scenario {
  let home = ''
  let database = ''
  let databaseUrl = ''
  const rates: Record<1 | 2, number[]> = { 1: [], 2: [] }

  async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
    await client.connect()
    try {
      return await f(client)
    } finally {
      await client.end()
    }
  }

  async function serve(workers: 1 | 2): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0', '--workers', String(workers), '--log-level', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QUIVER_DATABASE_URL: databaseUrl },
    })
    try {
      return { url: await listeningUrl(child), child }
    } catch (err) {
      await stopChild(child)
      throw err
    }
  }

  async function measureWith(workers: 1 | 2, seconds: number): Promise<Measurement> {
    const { url, child } = await serve(workers)
    try {
      const load = { url: `${url}/v1/models/bench-logreg/infer`, body: BODY, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS }
      await wrkMeasure('warm-up', load, 1)
      const m = await wrkMeasure(`http-json-logreg-b1-c${CONNECTIONS}-pg-workers2`, load, seconds)
      rates[workers].push(m.rows_per_s)
      return m
    } finally {
      await stopChild(child)
    }
  }

  return {
    name: `http-json-logreg-b1-c${CONNECTIONS}-pg-workers2`,
    async setup() {
      if (!wrkAvailable()) throw new Error('wrk is not installed (Debian package wrk): the workers comparison needs a load generator outside Node')
      database = `quiver_bench_workers_${process.pid}`
      await admin((c) => c.query(`CREATE DATABASE ${database}`)).catch((err: Error) => {
        throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL.replace(/:[^:@/]*@/, ':***@')}: ${err.message}`)
      })
      const u = new URL(ADMIN_URL)
      u.pathname = `/${database}`
      databaseUrl = u.toString()
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-workers-'))
      const { url, child } = await serve(1)
      try {
        const logreg = JSON.parse(await readFile(join(LOGREG_DIR, 'case.json'), 'utf8')) as { input_schema: ModelSchema; output_schema: ModelSchema }
        await new RemoteQuiverApi({ url }).uploadModel({
          name: 'bench-logreg', source: { path: join(LOGREG_DIR, 'model.pkl') }, framework: 'sklearn',
          inputSchema: logreg.input_schema, outputSchema: logreg.output_schema,
        })
      } finally {
        await stopChild(child)
      }
    },
    async measureSelf(quick) {
      const seconds = quick ? 2 : 5
      // Alternated, so that a slow spell of the machine does not fall on one side only; the best of each is kept.
      await measureWith(1, seconds)
      await measureWith(2, seconds)
      await measureWith(1, seconds)
      const last = await measureWith(2, seconds)
      return { ...last, rows_per_s: Math.max(...rates[2]), iterations: last.iterations, rows: last.rows }
    },
    notes() {
      const one = Math.max(...rates[1])
      const two = Math.max(...rates[2])
      return [
        `serve --workers on PostgreSQL, REST one-row logistic regression, ${CONNECTIONS} connections, best of two alternated runs each: ` +
        `1 process ${Math.round(one)} req/s, 2 processes ${Math.round(two)} req/s = ${(two / one).toFixed(2)}× ` +
        `(${availableParallelism()} cores, shared with wrk)`,
      ]
    },
    run() {
      throw new Error('measured by measureSelf')
    },
    async teardown() {
      if (home) await rm(home, { recursive: true, force: true })
      if (database) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => undefined)
    },
  }
}

export const scenarios: Scenario[] = [serveWorkersScenario()]
