/**
 * `--trust` skips both pickle checks but not the sandbox: payloads uploaded with trust run inside
 * bubblewrap, where writing outside the scratch folder, reading another model's blob and opening
 * a socket all fail. Needs a working bwrap (skipped without it, a failure when CI is set).
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import { sandboxState } from '../../src/runtimes/python/sandbox.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { contextFor, readCase, versionOf } from '../runtimes/python-helpers.js'
import { buildHostile } from './pickle-helpers.js'
import type { HostileCase } from './pickle-helpers.js'

const INPUT = [{ name: 'inputs', type: { list: 'float64', size: 4 } }]
const OUTPUT = [{ name: 'predictions', type: 'int64' }]
// One of each kind of side effect; every payload is proven live by the control run first.
const TRUSTED = [
  'builtins-eval', 'os-system', 'subprocess-popen', 'joblib-dump', 'scipy-save-npz', 'ndarraywrapper-absolute',
  'numpyarraywrapper-object-flag', 'xgboost-stop-replaced', 'sandbox-read-blob', 'sandbox-connect',
]

let skipReason = ''
let dir: string
let home: string
let markers: string
let api: Awaited<ReturnType<typeof createLocalQuiver>> | undefined
let server: Server
let connections = 0
let cases: HostileCase[] = []
let victimBlob = ''

before(async () => {
  let python: string
  try {
    python = (await findPython(['numpy', 'scipy', 'sklearn', 'joblib', 'xgboost'])).command
  } catch (err) {
    if (process.env.CI) throw err
    skipReason = `no Python with numpy, scipy, sklearn, joblib and xgboost: ${(err as Error).message}`
    return
  }
  const state = await sandboxState()
  if (state.kind !== 'bwrap') {
    if (process.env.CI) throw new Error(`the sandbox must work in CI: ${state.kind === 'missing' ? state.reason : 'QUIVER_SANDBOX is off'}`)
    skipReason = `no working bubblewrap: ${state.kind === 'missing' ? state.reason : 'QUIVER_SANDBOX is off'}`
    return
  }
  server = createServer((s) => {
    connections++
    s.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  dir = await makeTemp('quiver-trust-')
  home = join(dir, 'home')
  markers = join(dir, 'markers')
  api = await createLocalQuiver({ home, databaseUrl: '' })
  const victim = await api.uploadModel({
    name: 'victim', source: { path: join(MODEL_FIXTURES, 'sklearn-logreg-iris/model.pkl') }, framework: 'sklearn', inputSchema: INPUT as never, outputSchema: OUTPUT as never,
  })
  assert.equal(victim.status, 'ready')
  // The model file's blob (the store keeps blobs/<aa>/<sha256>; a converted model has a second one, its conversion).
  victimBlob = join(home, 'artifacts/blobs', victim.sha256.slice(0, 2), victim.sha256)
  assert.ok(existsSync(victimBlob), victimBlob)
  cases = await buildHostile(python, join(dir), markers, true, { victim: victimBlob, port: (server.address() as AddressInfo).port })
})

after(async () => {
  await api?.close()
  server?.close()
  await removeTemp(dir)
})

describe('trusted hostile pickles run inside the sandbox', () => {
  test('each payload works unsandboxed (control), including reading the blob and connecting', (t) => {
    if (skipReason) return t.skip(skipReason)
    for (const name of TRUSTED) assert.equal(cases.find((c) => c.name === name)?.verified, true, `${name} did not run in the control`)
    assert.equal(connections, 1, 'the control run connected once')
    assert.deepEqual(readdirSync(markers), [])
  })

  test('uploaded with --trust: no file written outside scratch, no blob read, no connection', async (t) => {
    if (skipReason) return t.skip(skipReason)
    for (const name of TRUSTED) {
      const c = cases.find((x) => x.name === name)!
      const framework = name.startsWith('xgboost') ? 'xgboost' : 'sklearn'
      // Loading fails or yields no usable model; either way its side effect must not have happened.
      const error = await api!.uploadModel({ name: `trusted-${name}`, source: { path: c.file }, framework, inputSchema: INPUT as never, outputSchema: OUTPUT as never, trust: true })
        .then(() => '', (err: Error) => err.message)
      if (name === 'sandbox-read-blob') assert.ok(error.includes(`No such file or directory: '${victimBlob}'`), `the payload got past reading the blob: ${error}`)
      if (name === 'sandbox-connect') assert.match(error, /Connection refused|Network is unreachable/)
      await new Promise((r) => setTimeout(r, name === 'subprocess-popen' ? 300 : 0))
      const written = readdirSync(markers).filter((f) => f === name || f.startsWith(`${name}.`))
      assert.deepEqual(written, [], `${name} wrote outside the sandbox`)
    }
    assert.equal(connections, 1, 'a sandboxed payload reached the host network')
    assert.ok(!existsSync(join(dir, 'x')), 'nothing written to the test folder')
  })

  test('a benign trusted pickle still loads and serves inside the sandbox', async (t) => {
    if (skipReason) return t.skip(skipReason)
    const c = readCase('sklearn-logreg-iris')
    const runtime = new PythonRuntime()
    const ctx = contextFor(c.artifact)
    const session = await runtime.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema, { trusted: true }), ctx)
    try {
      assert.ok(ctx.lines.some((l) => l.includes('bubblewrap sandbox')), ctx.lines.join('\n'))
    } finally {
      await session.close()
      await runtime.dispose()
    }
  })
})

test('without a working bwrap, pickles are refused unless QUIVER_SANDBOX=off', async (t) => {
  if (skipReason.startsWith('no Python')) return t.skip(skipReason)
  const c = readCase('sklearn-logreg-iris')
  const runtime = new PythonRuntime({ env: { ...process.env, QUIVER_BWRAP: '/nonexistent/bwrap', QUIVER_SANDBOX: '' } })
  await assert.rejects(
    runtime.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact)),
    (err: Error & { code?: string }) => err.code === 'unsupported' && /model\.pkl is a pickle, which Quiver loads only inside the bubblewrap sandbox, and \/nonexistent\/bwrap is not installed: .*QUIVER_SANDBOX=off/.test(err.message),
  )
  await runtime.dispose()
})
