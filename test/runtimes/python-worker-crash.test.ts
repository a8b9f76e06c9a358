import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { ModelSchema } from '../../src/data/schema.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import type { PythonSession } from '../../src/runtimes/python/python-session.js'
import { columnValues, contextFor, PY_FIXTURES, pythonOr, tableOf, versionOf } from './python-helpers.js'

const IN: ModelSchema = [{ name: 'x', type: 'float64', nullable: false }]
const OUT: ModelSchema = [{ name: 'y', type: 'float64', nullable: false }, { name: 'worker', type: 'int64', nullable: false }]
const SLEEPY = join(PY_FIXTURES, 'steps', 'sleepy.zip')
const xs = (...v: number[]) => tableOf({ x: v }, IN)

const runtime = new PythonRuntime({ timeoutMs: 1500 })
after(() => runtime.dispose())

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25))
  assert.ok(cond(), what)
}

async function sleepySession(t: import('node:test').TestContext, config: Record<string, unknown> = {}): Promise<PythonSession | null> {
  if (!(await pythonOr(t, ['numpy']))) return null
  const ctx = contextFor(SLEEPY)
  t.after(() => ctx.cleanup())
  const s = (await runtime.load(versionOf('python', SLEEPY, IN, OUT, config), ctx)) as PythonSession
  t.after(() => s.close())
  return s
}

describe('python worker failures', () => {
  test('kill -9 mid-request: that request fails clearly, the worker restarts, the next request succeeds', async (t) => {
    const s = await sleepySession(t, { timeout_ms: 60_000 })
    if (!s) return
    const [pid] = s.workerPids
    assert.ok(pid && alive(pid))
    const [before] = columnValues(await s.infer(xs(1)), 'worker') as number[]
    const hanging = s.infer(xs(-1))
    await new Promise((r) => setTimeout(r, 300))
    execFileSync('kill', ['-9', String(pid)])
    await assert.rejects(hanging, (err: Error & { code: string }) => {
      assert.equal(err.code, 'runtime_failure')
      assert.match(err.message, /^python worker exited with code 137 \(SIGKILL\) while running test-python-\d+:[0-9a-f-]+$/)
      return true
    })
    const out = await s.infer(xs(2, 3))
    assert.deepEqual(columnValues(out, 'y'), [4, 6])
    const [after] = columnValues(out, 'worker') as number[]
    assert.notEqual(after, before, 'the answer came from a new worker process')
    assert.equal(s.workerPids.length, 1)
    assert.notEqual(s.workerPids[0], pid)
  })

  test('a request that hangs past the timeout kills the worker; the next request succeeds on a new one', async (t) => {
    const s = await sleepySession(t)
    if (!s) return
    const [pid] = s.workerPids
    await assert.rejects(s.infer(xs(-5)), (err: Error & { code: string }) => {
      assert.equal(err.code, 'runtime_failure')
      assert.match(err.message, /^python worker did not answer within 1500 ms while running test-python-\d+:\S+; it was killed and restarts$/)
      return true
    })
    await waitUntil(() => !alive(pid!), 'the hung worker is gone')
    assert.deepEqual(columnValues(await s.infer(xs(1)), 'y'), [2])
  })

  test('requests queued behind a dying request run on the restarted worker', async (t) => {
    const s = await sleepySession(t)
    if (!s) return
    const doomed = s.infer(xs(-1))
    const queued = s.infer(xs(21))
    await assert.rejects(doomed, /did not answer within 1500 ms/)
    assert.deepEqual(columnValues(await queued, 'y'), [42])
  })

  test('a pool of several workers spreads requests round-robin', async (t) => {
    const s = await sleepySession(t, { workers: 2 })
    if (!s) return
    assert.equal(s.workerPids.length, 2)
    const workers = await Promise.all([1, 2, 3, 4].map(async (v) => (columnValues(await s.infer(xs(v)), 'worker') as number[])[0]))
    assert.equal(new Set(workers).size, 2, 'both workers answered')
  })

  test('close ends every worker process', async (t) => {
    const s = await sleepySession(t, { workers: 2 })
    if (!s) return
    const pids = s.workerPids
    await s.close()
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} outlived close()`)
    await assert.rejects(s.infer(xs(1)), /is closed/)
  })

  test('workers die with a Quiver process that is killed with SIGKILL', async (t) => {
    if (!(await pythonOr(t, ['numpy']))) return
    const script = `
      import { PythonRuntime } from ${JSON.stringify(new URL('../../src/runtimes/python/python-runtime.ts', import.meta.url).pathname)}
      import { contextFor, versionOf } from ${JSON.stringify(new URL('./python-helpers.ts', import.meta.url).pathname)}
      const IN = [{ name: 'x', type: 'float64', nullable: false }]
      const s = await new PythonRuntime().load(versionOf('python', ${JSON.stringify(SLEEPY)}, IN, IN, { workers: 2 }), contextFor(${JSON.stringify(SLEEPY)}))
      console.log(JSON.stringify(s.workerPids))
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d) => {
        out += d
        if (out.includes('\n')) resolve(JSON.parse(out))
      })
      child.once('exit', (code) => reject(new Error(`quiver process exited early with ${code}`)))
    })
    assert.equal(pids.length, 2)
    child.kill('SIGKILL')
    for (const pid of pids) await waitUntil(() => !alive(pid), `worker ${pid} outlived its parent`)
  })
})
