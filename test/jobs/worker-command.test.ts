/** `quiver worker`: runs queued jobs and serves nothing; stops cleanly on SIGTERM. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BIN, makeTemp, removeTemp, REPO, runCli } from '../helpers/cli.js'

const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')

describe('quiver worker on an embedded home', () => {
  let home: string
  before(async () => { home = await makeTemp('quiver-worker-') })
  after(() => removeTemp(home))

  it('runs the conversion a --no-wait upload queued, then stops on SIGTERM', async () => {
    const up = await runCli(['upload', 'later', IRIS, '--framework', 'onnx', '--no-wait'], { home })
    assert.equal(up.code, 0, up.stderr)
    const id = Number(/conversion queued as job (\d+)/.exec(up.stderr)?.[1])

    const child = spawn(process.execPath, [BIN, '--home', home, 'worker'], { cwd: REPO, env: { ...process.env, QUIVER_DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    try {
      for (let i = 0; i < 1200 && !/"msg":"job ended".*"state":"succeeded"/.test(err); i++) await new Promise((r) => setTimeout(r, 50))
      assert.match(err, new RegExp(`"msg":"job started".*"job":${id},"kind":"convert","workspace":"default"`), err)
      assert.match(err, new RegExp(`"msg":"job ended".*"job":${id}.*"state":"succeeded"`), err)
      assert.equal(out, 'taking jobs\n')
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0, err)
    assert.match(err, /SIGTERM: finishing running jobs \(up to 25 s\), then stopping/)

    const status = await runCli(['--json', 'status', 'later'], { home })
    assert.equal(JSON.parse(status.stdout).status, 'ready')
    assert.equal(status.stderr, '', 'nothing was left for the next command')
  })

  it('refuses bad flags naming them', async () => {
    const r = await runCli(['worker', '--concurrency', '0'], { home })
    assert.equal(r.code, 2)
    assert.equal(r.stderr, '--concurrency expects 1..64, got "0"\n')
    const s = await runCli(['--server', 'http://127.0.0.1:1', 'worker'], { home })
    assert.equal(s.code, 2)
    assert.match(s.stderr, /cannot be combined with --server/)
  })
})
