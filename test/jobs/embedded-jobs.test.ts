/**
 * Jobs on the embedded store (PGlite): the process holding the home runs them. A `--no-wait`
 * upload queues its conversion and exits; the next command that opens the home runs it; a job
 * whose holder died goes to the next holder; a conversion that cannot succeed fails at once.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { SqlJobQueue } from '../../src/jobs/sql-job-queue.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { makeTemp, removeTemp, REPO, runCli } from '../helpers/cli.js'

const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')

function queueOf(api: LocalQuiverApi): SqlJobQueue {
  return api.jobs.queue
}

describe('embedded jobs', () => {
  let home: string
  before(async () => { home = await makeTemp('quiver-embedded-jobs-') })
  after(() => removeTemp(home))

  it('a --no-wait upload queues its conversion; the next command runs it before it exits', async () => {
    const up = await runCli(['--json', 'upload', 'later', IRIS, '--framework', 'onnx', '--no-wait', '--tag', 'prod'], { home })
    assert.equal(up.code, 0, up.stderr)
    assert.equal(JSON.parse(up.stdout).status, 'pending_conversion')
    assert.doesNotMatch(up.stderr, /running queued job/, 'the uploading command leaves its own job to the next holder')

    const next = await runCli(['models'], { home })
    assert.equal(next.code, 0, next.stderr)
    assert.match(next.stderr, /quiver: running queued job \d+ \(convert default\/later#1\)/)
    assert.match(next.stderr, /quiver: job \d+ \(convert default\/later#1\) succeeded/)

    const shown = await runCli(['--json', 'status', 'later@prod'], { home })
    assert.equal(shown.code, 0, shown.stderr)
    assert.equal(JSON.parse(shown.stdout).status, 'ready')
    assert.equal(shown.stderr, '', 'nothing is left to run')
  })

  it('a job the dead holder was running goes to the next holder, which finishes it', async () => {
    const api = await createLocalQuiver({ home, databaseUrl: '', runJobs: 'none' })
    const v = await api.uploadModel({ name: 'resumed', source: { path: IRIS }, framework: 'onnx', noWait: true })
    await api.close()
    // What a holder killed mid-conversion leaves: the job running under its name, the version converting.
    const held = await createLocalQuiver({ home, databaseUrl: '', runJobs: 'none' })
    const queue = queueOf(held)
    const job = await queue.claim('dead-holder', ['convert'], 60_000)
    assert.equal(job?.payload.versionId, v.id)
    await held.registry.moveStatus(await held.registry.byId(v.id), 'converting')
    await held.close()

    const next = await createLocalQuiver({ home, databaseUrl: '' })
    try {
      const ready = await next.waitForVersion('resumed#1', { timeoutMs: 60_000 })
      assert.equal(ready.status, 'ready', ready.error_message ?? '')
      const done = await queueOf(next).get(job!.id)
      assert.equal(done.state, 'succeeded')
      assert.equal(done.attempts, 2)
      assert.equal(done.error, 'worker dead-holder stopped renewing its lease')
    } finally {
      await next.close()
    }
  })

  it('a conversion that cannot succeed fails its job at once, and its version, without retries', async () => {
    const bad = join(home, 'truncated.onnx')
    const bytes = await readFile(IRIS)
    await writeFile(bad, bytes.subarray(0, Math.floor(bytes.length / 2)))
    const api = await createLocalQuiver({ home, databaseUrl: '', runJobs: 'none' })
    let id = 0
    try {
      const v = await api.uploadModel({ name: 'broken', source: { path: bad }, framework: 'onnx', noWait: true })
      assert.equal(v.status, 'pending_conversion')
      id = (await queueOf(api).list({ workspace: 'default', kind: 'convert', limit: 1 }))[0]!.id
    } finally {
      await api.close()
    }
    const next = await createLocalQuiver({ home, databaseUrl: '' })
    try {
      const v = await next.waitForVersion('broken#1', { timeoutMs: 60_000 })
      assert.equal(v.status, 'error')
      const queue = queueOf(next)
      let job = await queue.get(id)
      for (let i = 0; i < 200 && job.state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 25))
        job = await queue.get(id)
      }
      assert.equal(job.state, 'failed')
      assert.equal(job.attempts, 1)
      assert.ok(job.error && job.error.length > 0)
    } finally {
      await next.close()
    }
  })
})
