/**
 * Hostile pickles, each built at test time with a payload that creates a marker file: every one
 * is refused by the scanner (naming the global and byte offset), again by the worker's restricted
 * unpickler on its own, and on upload through the API, HTTP (400) and the CLI (exit 2), and no
 * marker ever appears.
 * A control run loads each live payload with plain joblib.load first, so a payload that could not
 * have run anyway does not pass for a refusal.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { checkPickle } from '../../src/runtimes/python/pickle-scan.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { json, openHarness, uploadForm } from '../server/harness.js'
import type { Harness } from '../server/harness.js'
import { buildHostile, guardedLoad } from './pickle-helpers.js'
import type { HostileCase } from './pickle-helpers.js'

const INPUT = [{ name: 'inputs', type: { list: 'float64', size: 4 } }]
const OUTPUT = [{ name: 'predictions', type: 'int64' }]

let python: string | null = null
let skipReason = ''
let dir: string
let markers: string
let cases: HostileCase[] = []

function markerOf(c: HostileCase): string[] {
  return existsSync(markers) ? readdirSync(markers).filter((f) => f === c.name || f.startsWith(`${c.name}.`)) : []
}

before(async () => {
  try {
    python = (await findPython(['numpy', 'scipy', 'sklearn', 'joblib', 'xgboost'])).command
  } catch (err) {
    if (process.env.CI) throw err
    skipReason = `no Python with numpy, scipy, sklearn, joblib and xgboost: ${(err as Error).message}`
    console.log(`# skip: ${skipReason}`)
    return
  }
  dir = await makeTemp('quiver-hostile-')
  markers = join(dir, 'markers')
  cases = await buildHostile(python, join(dir), markers, true)
})

after(() => removeTemp(dir))

describe('hostile pickles', () => {
  test('every live payload runs when loaded plainly (control)', (t) => {
    if (!python) return t.skip(skipReason)
    assert.ok(cases.length >= 25, `${cases.length} cases`)
    const dead = cases.filter((c) => c.live && c.verified !== true).map((c) => c.name)
    assert.deepEqual(dead, [], 'payloads that did not run under plain joblib.load')
    assert.deepEqual(readdirSync(markers), [], 'the control run removes its markers')
  })

  test('the scanner refuses each, naming the global (or reason), the byte offset and --trust', (t) => {
    if (!python) return t.skip(skipReason)
    for (const c of cases) {
      let message = ''
      try {
        checkPickle(readFileSync(c.file), `${c.name}.pkl`)
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'invalid_input', c.name)
        message = (err as Error).message
      }
      assert.ok(message.startsWith(`${c.name}.pkl `), `${c.name} passed the scan`)
      assert.ok(message.includes(c.expect), `${c.name}: ${message}`)
      assert.match(message, /\(at byte \d+\); upload with --trust to load it anyway$/, c.name)
    }
  })

  test('the worker\'s restricted unpickler refuses each on its own, and nothing runs', async (t) => {
    if (!python) return t.skip(skipReason)
    const results = await guardedLoad(python, cases.map((c) => ({ file: c.file })))
    for (const [i, r] of results.entries()) {
      const c = cases[i]!
      assert.equal(r.ok, false, `${c.name} loaded through the restricted unpickler`)
      assert.match(r.error!, /^UnsafePickle: .*upload with --trust to load it anyway$/, c.name)
      assert.deepEqual(markerOf(c), [], `${c.name} ran`)
    }
  })

  describe('upload', () => {
    let h: Harness
    before(async () => {
      if (python) h = await openHarness()
    })
    after(() => h?.close())

    test('through the API: each refused as invalid input naming the global; no marker, no version', async (t) => {
      if (!python) return t.skip(skipReason)
      for (const c of cases) {
        await assert.rejects(
          h.api.uploadModel({ name: 'hostile', source: { path: c.file }, framework: 'sklearn', inputSchema: INPUT as never, outputSchema: OUTPUT as never }),
          (err: Error & { code?: string }) => err.code === 'invalid_input' && err.message.includes(c.expect),
          c.name,
        )
        assert.deepEqual(markerOf(c), [], `${c.name} ran`)
      }
      assert.deepEqual(await h.api.listModels(), [])
      assert.equal(await h.blobCount(), 0, 'refused uploads leave no blob')
    })

    test('over HTTP: each a 400 whose error names the global; no marker', async (t) => {
      if (!python) return t.skip(skipReason)
      for (const c of cases) {
        const form = await uploadForm({ name: 'hostile', framework: 'sklearn', input_schema: JSON.stringify(INPUT), output_schema: JSON.stringify(OUTPUT) }, { path: c.file, name: `${c.name}.pkl` })
        const res = await h.app.request('/v1/models', { method: 'POST', body: form })
        const body = await json(res)
        assert.equal(res.status, 400, `${c.name}: ${JSON.stringify(body)}`)
        assert.ok(JSON.stringify(body).includes(c.expect), `${c.name}: ${JSON.stringify(body)}`)
        assert.deepEqual(markerOf(c), [], `${c.name} ran`)
      }
    })

    test('through bin/quiver: exit 2 with the global named', async (t) => {
      if (!python) return t.skip(skipReason)
      const schema = join(dir, 'in.json')
      const out = join(dir, 'out.json')
      await Promise.all([writeFile(schema, JSON.stringify(INPUT)), writeFile(out, JSON.stringify(OUTPUT))])
      const c = cases.find((x) => x.name === 'xgboost-stop-replaced')!
      const r = await runCli(['upload', 'hostile', c.file, '--framework', 'xgboost', '--input-schema', schema, '--output-schema', out], { home: join(dir, 'cli-home') })
      assert.equal(r.code, 2, r.stderr)
      assert.ok(r.stderr.trim().split('\n').at(-1)!.includes(c.expect), r.stderr)
      assert.deepEqual(markerOf(c), [], `${c.name} ran`)
    })
  })
})
