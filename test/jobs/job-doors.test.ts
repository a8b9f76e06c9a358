/**
 * Jobs through every door: `quiver jobs list|show|cancel|wait` on an embedded home, and
 * `GET /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/jobs/{id}/cancel` through the SDK on a real
 * server; clear errors for an unknown id, a malformed one and the cancel of a finished job.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { makeTemp, removeTemp, REPO, runCli } from '../helpers/cli.js'
import { serve, stopServed, type Served } from '../helpers/serve.js'

const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')

describe('quiver jobs on an embedded home', () => {
  let home: string
  before(async () => { home = await makeTemp('quiver-job-cli-') })
  after(() => removeTemp(home))

  it('lists, shows and waits for a queued conversion; refuses to cancel it once finished', async () => {
    const up = await runCli(['upload', 'later', IRIS, '--framework', 'onnx', '--no-wait'], { home })
    assert.equal(up.code, 0, up.stderr)
    const id = Number(/conversion queued as job (\d+)/.exec(up.stderr)?.[1])
    assert.ok(id > 0, up.stderr)

    // Listed as queued; the listing command then runs it before it exits.
    const listed = await runCli(['--json', 'jobs', 'list'], { home })
    assert.equal(listed.code, 0, listed.stderr)
    const [job] = JSON.parse(listed.stdout)
    assert.equal(job.id, id)
    assert.equal(job.kind, 'convert')
    assert.equal(job.state, 'queued')
    assert.equal(job.workspace, 'default')
    assert.equal(job.payload.model, 'later#1')

    const shown = await runCli(['--json', 'jobs', 'show', String(id)], { home })
    assert.equal(shown.code, 0, shown.stderr)
    const done = JSON.parse(shown.stdout)
    assert.equal(done.state, 'succeeded')
    assert.equal(done.progress, 1)
    assert.equal(done.attempts, 1)
    assert.equal(done.result.status, 'ready')

    const human = await runCli(['jobs', 'show', String(id)], { home })
    assert.match(human.stdout, new RegExp(`^job ${id} \\(convert\\) in workspace 'default': succeeded`))
    assert.match(human.stdout, /subject: +later#1/)

    const cancel = await runCli(['jobs', 'cancel', String(id)], { home })
    assert.equal(cancel.code, 1)
    assert.equal(cancel.stderr, `job ${id} is already succeeded; only a queued or running job can be cancelled\n`)
    const unknown = await runCli(['jobs', 'show', '987654'], { home })
    assert.equal(unknown.code, 2)
    assert.equal(unknown.stderr, 'job 987654 does not exist\n')
    const malformed = await runCli(['jobs', 'cancel', 'latest'], { home })
    assert.equal(malformed.code, 2)
    assert.match(malformed.stderr, /job id must be a positive whole number, got 'latest'/)
    const otherWorkspace = await runCli(['--workspace', 'elsewhere', 'jobs', 'show', String(id)], { home })
    assert.equal(otherWorkspace.code, 2)
    assert.equal(otherWorkspace.stderr, `job ${id} does not exist\n`)
  })

  it('cancels a queued conversion before it runs; its version moves to error saying so', async () => {
    const up = await runCli(['upload', 'dropped', IRIS, '--framework', 'onnx', '--no-wait'], { home })
    assert.equal(up.code, 0, up.stderr)
    const id = Number(/conversion queued as job (\d+)/.exec(up.stderr)?.[1])
    const cancel = await runCli(['--json', 'jobs', 'cancel', String(id)], { home })
    assert.equal(cancel.code, 0, cancel.stderr)
    assert.equal(JSON.parse(cancel.stdout).state, 'cancelled')
    assert.doesNotMatch(cancel.stderr, /running queued job/)
    const status = await runCli(['--json', 'status', 'dropped#1'], { home })
    const v = JSON.parse(status.stdout)
    assert.equal(v.status, 'error')
    assert.equal(v.error_message, `conversion cancelled (job ${id}); upload the model again`)
    const waited = await runCli(['--json', 'jobs', 'wait', String(id)], { home })
    assert.equal(waited.code, 1, 'wait exits 1 for a job that did not succeed')
    assert.equal(JSON.parse(waited.stdout).state, 'cancelled')
  })
})

describe('/v1/jobs through the SDK', () => {
  let home: string
  let server: Served
  let api: RemoteQuiverApi
  before(async () => {
    home = await makeTemp('quiver-job-http-')
    server = await serve(home, [])
    api = new RemoteQuiverApi({ url: server.url })
  })
  after(async () => {
    await stopServed(server)
    await removeTemp(home)
  })

  it('shows a no-wait upload\'s conversion job and its result, scoped to the workspace', async () => {
    const v = await api.uploadModel({ name: 'remote', source: { path: IRIS }, framework: 'onnx', noWait: true, workspace: 'team-a' })
    assert.equal(v.status, 'pending_conversion')
    const [job] = await api.jobs.list({ workspace: 'team-a', kind: 'convert' })
    assert.ok(job)
    const done = await api.jobs.wait(job.id, { workspace: 'team-a', timeoutMs: 60_000 })
    assert.equal(done.state, 'succeeded')
    assert.equal((await api.getVersion('remote', { workspace: 'team-a' })).status, 'ready')
    assert.deepEqual(await api.jobs.list({ workspace: 'team-b' }), [])
    assert.deepEqual((await api.jobs.list({ workspace: 'team-a', state: 'failed' })), [])
    await assert.rejects(api.jobs.get(job.id, { workspace: 'team-b' }), { code: 'not_found', message: `job ${job.id} does not exist` })
    await assert.rejects(api.jobs.cancel(job.id, { workspace: 'team-a' }), { code: 'conflict', message: `job ${job.id} is already succeeded; only a queued or running job can be cancelled` })
  })

  it('answers bad ids and filters with 400 naming the field', async () => {
    const bad = await fetch(`${server.url}/v1/jobs/abc`)
    assert.equal(bad.status, 400)
    assert.match((await bad.json()).error.message, /job id must be a positive whole number, got 'abc'/)
    const state = await fetch(`${server.url}/v1/jobs?state=done`)
    assert.equal(state.status, 400)
    assert.match((await state.json()).error.message, /state must be one of queued, running, succeeded, failed, cancelled, got 'done'/)
    const missing = await fetch(`${server.url}/v1/jobs/424242/cancel`, { method: 'POST' })
    assert.equal(missing.status, 404)
    assert.equal((await missing.json()).error.message, 'job 424242 does not exist')
  })
})
