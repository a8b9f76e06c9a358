/**
 * Versions left unfinished by a process that died: the next process to open the store moves them
 * to `error` saying which process left them, and leaves the versions of live owners alone. The
 * attack form: `kill -9` of `quiver upload` and of `quiver serve` at random points of upload and
 * conversion, then a restart finds every version `ready` or `error` and no orphan blob or temp file.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { enqueueConversion } from '../../src/api/conversion-jobs.js'
import { ownerOf } from '../../src/api/process-owner.js'
import type { VersionRecord } from '../../src/records/version-record.js'
import { LOCK_FILE_NAME } from '../../src/store/pglite/home-lock.js'
import type { ConversionOwner } from '../../src/store/sql-conversion-claims.js'
import { BIN, makeTemp, removeTemp, REPO } from '../helpers/cli.js'
import { serve } from '../helpers/serve.js'

const IRIS_ONNX = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')
const BUILD_LARGE = join(import.meta.dirname, 'build_large_onnx.py')

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

async function unfinishedVersion(api: LocalQuiverApi, name: string, status: 'pending_conversion' | 'converting'): Promise<VersionRecord> {
  const blob = await api.artifacts.putFile(IRIS_ONNX)
  let v = await api.registry.createVersion({
    workspace: 'default', name, version: randomUUID(), file_name: 'model.onnx', sha256: blob.sha256, size_bytes: blob.size,
    framework: 'onnx', runtime: 'native', status: 'pending_conversion', input_schema: null, output_schema: null,
    arch: 'x86', accel: 'none', image_path: null, description: null, metadata: {}, additional_files: {}, config: { archive: false },
  })
  if (status === 'converting') v = await api.registry.moveStatus(v, 'converting')
  return v
}

describe('versions left unfinished by a dead process', () => {
  let home: string
  before(async () => {
    home = await makeTemp('quiver-recovery-')
  })
  after(() => removeTemp(home))

  it('fails dead owners (exited, reused pid, no owner, stale other host) and keeps live ones', async () => {
    const api = await createLocalQuiver({ home, databaseUrl: '' })
    const claims = api.claims!
    const dead = deadPid()
    const cases: [string, 'pending_conversion' | 'converting', ConversionOwner | null][] = [
      ['exited', 'converting', { ...ownerOf(), pid: dead, procStart: '' }],
      ['reused-pid', 'converting', { ...ownerOf(), procStart: '1' }],
      ['never-claimed', 'pending_conversion', null],
      ['never-queued', 'pending_conversion', { ...ownerOf(), pid: dead }],
      ['queued', 'pending_conversion', { ...ownerOf(), pid: dead }],
      ['alive', 'converting', ownerOf()],
      ['other-host', 'converting', { pid: 1, host: `${hostname()}-elsewhere`, bootId: 'x', procStart: '7' }],
    ]
    const ids = new Map<string, number>()
    for (const [name, status, owner] of cases) {
      const v = await unfinishedVersion(api, name, status)
      ids.set(name, v.id)
      if (owner) await claims.claim(v.id, owner)
      // A --no-wait upload whose process exited: its conversion job waits for the next holder.
      if (name === 'queued') await enqueueConversion(api.jobs.queue, v, [])
    }
    await api.close()

    const failed: string[] = []
    const reopened = await createLocalQuiver({ home, databaseUrl: '', onAbandoned: (f) => failed.push(...f.map((x) => x.name)) })
    try {
      const status = async (name: string) => reopened.getVersion(`${name}#1`)
      assert.deepEqual(failed.sort(), ['exited', 'never-claimed', 'never-queued', 'reused-pid'])
      const exited = await status('exited')
      assert.equal(exited.status, 'error')
      assert.equal(exited.error_message, `conversion interrupted: the process converting it (pid ${dead} on host ${hostname()}) exited before it finished; upload the model again`)
      assert.equal((await reopened.waitForVersion('queued#1', { timeoutMs: 60_000 })).status, 'ready', 'the next holder runs the queued conversion')
      assert.match((await status('never-queued')).error_message!, /the process that was to convert it \(pid \d+ on host .*\) exited before it started/)
      assert.match((await status('never-claimed')).error_message!, /the process that stored it exited before converting it/)
      assert.equal((await status('alive')).status, 'converting', 'this live process still owns it')
      assert.equal((await status('other-host')).status, 'converting', 'a fresh heartbeat on another host is trusted')
      // Another host's owner whose heartbeat went quiet is failed by any replica.
      const late = await reopened.failAbandonedVersions({ staleMs: -1 })
      assert.deepEqual(late.map((f) => f.name), ['other-host'])
      assert.match(late[0]!.message, /pid 1 on host .*-elsewhere/)
      assert.equal((await status('alive')).status, 'converting')
    } finally {
      await reopened.close()
    }
  })
})

describe('blobs left by a holder that died before recording their version', () => {
  let home: string
  before(async () => {
    home = await makeTemp('quiver-orphan-')
  })
  after(() => removeTemp(home))

  it('are removed when the next process takes the home over from the dead holder, and only then', async () => {
    const api = await createLocalQuiver({ home, databaseUrl: '' })
    const kept = await api.uploadModel({ name: 'kept', source: { path: IRIS_ONNX }, framework: 'onnx' })
    const orphanFile = join(home, 'orphan.bin')
    await writeFile(orphanFile, 'bytes of an upload whose version was never created')
    const orphan = await api.artifacts.putFile(orphanFile)
    await api.close()

    // A clean hand-over proves nothing about the blob: it stays.
    const clean = await createLocalQuiver({ home, databaseUrl: '' })
    assert.ok(await clean.artifacts.has(orphan.sha256))
    await clean.close()

    // The holder died: its lock file is still there, naming a pid that no longer runs.
    await writeFile(join(home, LOCK_FILE_NAME), JSON.stringify({ pid: deadPid(), nonce: 'abcdef0123456789' }))
    const next = await createLocalQuiver({ home, databaseUrl: '' })
    try {
      assert.equal(await next.artifacts.has(orphan.sha256), false, 'the orphan blob is removed')
      assert.ok(await next.artifacts.has(kept.sha256), 'a blob a version references stays')
      assert.equal((await next.getVersion('kept')).status, 'ready')
    } finally {
      await next.close()
    }
  })
})

describe('kill -9 at random points of upload and conversion', () => {
  let home: string
  let model: string | null = null
  before(async () => {
    home = await makeTemp('quiver-kill-')
    model = join(home, 'large.onnx')
    // 32 MiB: storing, hashing and loading it take long enough for kills to land in each.
    const built = ['/usr/bin/python3', 'python3'].some((py) => spawnSync(py, [BUILD_LARGE, model!, '32']).status === 0)
    if (!built) model = null
  })
  after(() => removeTemp(home))

  function modelOr(t: TestContext): string | null {
    if (model) return model
    const reason = 'no python3 with numpy and onnx to build the large test model'
    if (process.env.CI) throw new Error(reason)
    console.log(`# skip: ${reason}`)
    t.skip(reason)
    return null
  }

  /**
   * Runs `quiver upload` and kills it with SIGKILL `delayMs` after its progress output first shows
   * `marker` ('' = after start): before storing, stored as pending_conversion, converting.
   */
  function uploadKilledAt(name: string, marker: string, delayMs: number): Promise<string> {
    const child = spawn(process.execPath, [BIN, '--home', home, 'upload', name, model!, '--framework', 'onnx'], {
      cwd: REPO, env: { ...process.env, QUIVER_DATABASE_URL: '' }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    let timer: NodeJS.Timeout | undefined
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs))
    let seen = ''
    if (marker === '') arm()
    child.stderr!.on('data', (d) => {
      seen += d
      if (marker !== '' && seen.includes(marker)) arm()
    })
    return new Promise((resolve) => child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(signal ?? `exit ${code}`)
    }))
  }

  async function uploadOverHttp(url: string, name: string): Promise<string> {
    const form = new FormData()
    form.append('name', name)
    form.append('framework', 'onnx')
    form.append('file', new Blob([await readFile(model!)]), 'large.onnx')
    return fetch(`${url}/v1/models`, { method: 'POST', body: form }).then((r) => `${r.status}`, () => 'no answer')
  }

  it('leaves every version ready or error, and no orphan blob or temp file', async (t) => {
    if (!modelOr(t)) return
    const outcomes: string[] = []
    // quiver upload, killed in each phase: starting, storing, stored (pending_conversion), converting.
    const phases: [string, number][] = [['', 400 + Math.random() * 1200], ['', 1600 + Math.random() * 2000], ['stored ', Math.random() * 50], ['pending loading', Math.random() * 600]]
    for (const [round, [marker, delay]] of phases.entries()) {
      outcomes.push(`cli killed ${Math.round(delay)} ms after '${marker || 'start'}': ${await uploadKilledAt(`cli-${round}`, marker, delay)}`)
    }
    // quiver serve, killed while an upload over HTTP is being received or converted.
    let srvMs = 0
    for (let round = 0; round < 2; round++) {
      const server = await serve(home, [])
      if (round === 0) {
        const start = performance.now()
        assert.equal(await uploadOverHttp(server.url, 'srv-full'), '201')
        srvMs = performance.now() - start
      }
      const answered = uploadOverHttp(server.url, `srv-${round}`)
      const at = srvMs * Math.random()
      await new Promise((r) => setTimeout(r, at))
      server.child.kill('SIGKILL')
      await new Promise((r) => server.child.once('exit', r))
      outcomes.push(`serve killed at ${Math.round(at)}/${Math.round(srvMs)} ms: ${await answered}`)
    }

    const failed: string[] = []
    const api = await createLocalQuiver({ home, databaseUrl: '', onAbandoned: (f) => failed.push(...f.map((x) => `${x.name}: ${x.message}`)) })
    try {
      // One more upload: a store's first write also sweeps what dead writers left in tmp/.
      await api.uploadModel({ name: 'after', source: { path: IRIS_ONNX }, framework: 'onnx' })
      const versions: VersionRecord[] = []
      for (const m of await api.listModels()) versions.push(...(await api.listVersions(m.name)))
      const unfinished = versions.filter((v) => v.status !== 'ready' && v.status !== 'error')
      assert.deepEqual(unfinished.map((v) => `${v.name}#${v.seq} ${v.status}`), [], `outcomes: ${outcomes.join('; ')}`)
      for (const v of versions.filter((x) => x.status === 'error')) assert.match(v.error_message!, /conversion interrupted|could not|not/, v.name)

      const files = async (dir: string) => (await readdir(join(home, 'artifacts', dir), { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((e) => e.isFile()).map((e) => e.name)
      const referenced = new Set(versions.flatMap((v) => [v.sha256, ...Object.values(v.additional_files)]))
      const orphans = (await files('blobs')).filter((sha) => !referenced.has(sha))
      assert.deepEqual(orphans, [], 'every blob belongs to a version')
      assert.deepEqual(await files('tmp'), [], 'no temp file is left')
      console.log(`# ${outcomes.join('; ')}`)
      console.log(`# versions: ${versions.map((v) => `${v.name}=${v.status}${v.error_message ? ` (${v.error_message.slice(0, 70)})` : ''}`).join(', ')}`)
    } finally {
      await api.close()
    }
  })
})
