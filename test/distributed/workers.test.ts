/**
 * `quiver serve --workers N`: N processes on one port sharing PostgreSQL; one that dies is
 * replaced while the others keep answering; SIGTERM stops them all. The embedded database cannot
 * be shared, and says so.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { postgresSkipReason, TEST_DATABASE_URL, urlWithSchema } from '../helpers/postgres.js'
import { serve, type Served } from '../helpers/serve.js'
import { IRIS_ONNX, post, v2Request } from './cluster.js'

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0)
  } catch {
    return []
  }
}

/** A POST on a connection of its own; resolves with the status. */
function freshPost(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const got = probe()
    if (got !== undefined) return got
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const skip = await postgresSkipReason('serve --workers')

describe('serve --workers', () => {
  let home = ''
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-workers-'))
  })
  after(() => rm(home, { recursive: true, force: true }))

  it('refuses more than one worker on the embedded database, naming the fix', async () => {
    await assert.rejects(serve(join(home, 'embedded'), ['--workers', '2']), /--workers 2 .*embedded database \(PGlite\) belongs to one process: set QUIVER_DATABASE_URL/)
  })

  describe('on PostgreSQL', () => {
    const schema = `quiver_workers_${randomBytes(4).toString('hex')}`
    let admin: pg.Client
    let served: Served
    before(async () => {
      if (skip) return
      admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await admin.connect()
      await admin.query(`CREATE SCHEMA ${schema}`)
      served = await serve(join(home, 'pg'), ['--workers', '2', '--log-level', 'warn'], { QUIVER_DATABASE_URL: urlWithSchema(schema) })
    })
    after(async () => {
      if (served && served.child.exitCode === null) {
        served.child.kill('SIGKILL')
        for (const pid of childPids(served.child.pid!)) process.kill(pid, 'SIGKILL')
      }
      await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
      await admin?.end()
    })

    it('serves from every process, replaces one that dies, and stops them all on SIGTERM', { skip }, async () => {
      const workers = await until('two server processes', () => { const p = childPids(served.child.pid!); return p.length === 2 ? p : undefined })
      const form = new FormData()
      form.append('name', 'iris')
      form.append('framework', 'onnx')
      form.append('file', new Blob([await readFile(IRIS_ONNX)]), 'model.onnx')
      assert.equal((await fetch(`${served.url}/v1/models`, { method: 'POST', body: form })).status, 201)

      // Fresh connections are spread over the processes; each must know the model uploaded through one of them.
      const statuses = await Promise.all(Array.from({ length: 24 }, async () => (await post(`${served.url}/v2/models/iris/infer`, v2Request())).status))
      assert.deepEqual(new Set(statuses), new Set([200]))

      process.kill(workers[0]!, 'SIGKILL')
      // A connection handed over in the instant before the primary sees the death is lost with it, as
      // with any process killed mid-flight; from the moment it is seen, the others take every new one.
      await until('the primary to see the death', () => (served.stderr().includes(`server process ${workers[0]} exited (SIGKILL)`) ? true : undefined))
      // New connections (a pooled one may have gone to the killed process).
      for (let i = 0; i < 10; i++) assert.equal(await freshPost(`${served.url}/v2/models/iris/infer`, JSON.stringify(v2Request())), 200, 'the other process answers meanwhile')
      const replaced = await until('a replacement process', () => { const p = childPids(served.child.pid!); return p.length === 2 && !p.includes(workers[0]!) ? p : undefined })
      assert.ok(replaced.includes(workers[1]!))

      const exited = new Promise<number | null>((r) => served.child.once('exit', (code) => r(code)))
      served.child.kill('SIGTERM')
      assert.equal(await exited, 0)
      for (const pid of replaced) assert.throws(() => process.kill(pid, 0), 'every server process has exited')
    })
  })
})
