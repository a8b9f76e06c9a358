import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { JobWorker, type JobHandler } from '../../src/jobs/job-worker.js'
import { SqlJobQueue } from '../../src/jobs/sql-job-queue.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { PgliteDriver } from '../../src/store/pglite/pglite-driver.js'
import type { SqlDriver } from '../../src/store/driver.js'
import { postgresSkipReason, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { Child } from '../store/child-process.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const skip = await postgresSkipReason('the PostgreSQL job queue tests')

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (done(v)) return v
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(v)} after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function queueSuite(name: string, open: () => Promise<{ driver: SqlDriver; close(): Promise<void> }>, opts: { skip?: string } = {}) {
  describe(`job queue (${name})`, { skip: opts.skip }, () => {
    let driver: SqlDriver
    let close: () => Promise<void>
    let queue: SqlJobQueue
    before(async () => { ({ driver, close } = await open()); queue = new SqlJobQueue(driver, { retryBaseMs: 20 }) })
    after(async () => { await close?.() })

    it('runs a job with progress and records its result', async () => {
      const job = await queue.enqueue('convert', { version: 7 })
      assert.equal(job.state, 'queued')
      let seen = 0
      const worker = new JobWorker({ queue, leaseMs: 3000, pollMs: 20, handlers: {
        convert: async (j, ctx) => {
          ctx.progress(0.5, 'half way')
          await until(async () => (await queue.get(j.id)).message, (m) => m === 'half way')
          seen = (await queue.get(j.id)).progress
          return { converted: j.payload.version }
        },
      } })
      worker.start()
      const done = await until(() => queue.get(job.id), (j) => j.state === 'succeeded')
      await worker.stop()
      assert.equal(seen, 0.5)
      assert.deepEqual(done.result, { converted: 7 })
      assert.equal(done.attempts, 1)
      assert.equal(done.progress, 1)
    })

    it('retries a failing job with backoff, then fails it for good naming the error', async () => {
      const job = await queue.enqueue('flaky', {}, { maxAttempts: 2 })
      const runs: number[] = []
      const worker = new JobWorker({ queue, leaseMs: 300, pollMs: 10, handlers: { flaky: async (j) => { runs.push(j.attempts); throw new Error(`disk full (run ${j.attempts})`) } } })
      worker.start()
      const failed = await until(() => queue.get(job.id), (j) => j.state === 'failed')
      await worker.stop()
      assert.deepEqual(runs, [1, 2])
      assert.equal(failed.error, 'disk full (run 2)')
    })

    it('cancels a queued job at once and a running one at its next heartbeat', async () => {
      const queued = await queue.enqueue('never', {})
      assert.equal((await queue.cancel(queued.id)).state, 'cancelled')
      const job = await queue.enqueue('long', {})
      let markStarted = () => {}
      const started = new Promise<void>((r) => { markStarted = r })
      const handler: JobHandler = async (_j, ctx) => {
        markStarted()
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))))
      }
      const worker = new JobWorker({ queue, leaseMs: 150, pollMs: 10, handlers: { long: handler } })
      worker.start()
      await started
      assert.equal((await queue.cancel(job.id)).state, 'running')
      const cancelled = await until(() => queue.get(job.id), (j) => j.state === 'cancelled')
      await worker.stop()
      assert.equal(cancelled.attempts, 1)
      await assert.rejects(queue.cancel(9_999_999), /job 9999999 does not exist/)
    })

    it('refuses bad kinds and attempt counts', async () => {
      await assert.rejects(queue.enqueue('Bad Kind', {}), /job kind 'Bad Kind' must be/)
      await assert.rejects(queue.enqueue('ok', {}, { maxAttempts: 0 }), /maxAttempts must be a positive integer, got 0/)
    })
  })
}

queueSuite('PGlite, in process', async () => {
  const home = await mkdtemp(join(tmpdir(), 'quiver-jobs-'))
  const driver = await PgliteDriver.open({ home })
  await migrate(driver)
  return { driver, async close() { await driver.close(); await rm(home, { recursive: true, force: true }) } }
})

let schema = ''
const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
queueSuite('PostgreSQL', async () => {
  schema = `quiver_jobs_${randomBytes(4).toString('hex')}`
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  const driver = await PostgresDriver.open({ url: TEST_DATABASE_URL, searchPath: schema })
  await migrate(driver)
  return {
    driver,
    async close() {
      await driver.close()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    },
  }
}, { skip })

describe('a worker process killed mid-job', { skip }, () => {
  it('leaves the job to another worker, which finishes it', async () => {
    const s = `quiver_jobs_${randomBytes(4).toString('hex')}`
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await db.connect()
    await db.query(`CREATE SCHEMA ${s}`)
    const driver = await PostgresDriver.open({ url: TEST_DATABASE_URL, searchPath: s })
    const child = new Child('../jobs/children/job-worker.ts', [TEST_DATABASE_URL, s])
    try {
      await migrate(driver)
      const queue = new SqlJobQueue(driver)
      const job = await queue.enqueue('slow', { n: 1 })
      assert.equal(await child.line(), `running ${job.id}`)
      const held = await until(() => queue.get(job.id), (j) => j.progress === 0.25)
      assert.equal(held.worker, `child-${child.pid}`)
      assert.equal(held.message, 'a quarter done')
      child.proc.kill('SIGKILL')
      await child.exited
      const worker = new JobWorker({ queue, leaseMs: 600, pollMs: 50, handlers: { slow: async (j) => ({ finishedBy: 'parent', n: j.payload.n }) } })
      worker.start()
      const done = await until(() => queue.get(job.id), (j) => j.state === 'succeeded')
      await worker.stop()
      assert.deepEqual(done.result, { finishedBy: 'parent', n: 1 })
      assert.equal(done.attempts, 2)
    } finally {
      child.proc.kill('SIGKILL')
      await driver.close()
      await db.query(`DROP SCHEMA ${s} CASCADE`)
      await db.end()
    }
  })
})
