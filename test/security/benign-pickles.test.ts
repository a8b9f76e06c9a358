/**
 * The other side of the hostile suite: real models of each common sklearn/xgboost family, trained
 * at test time and saved as pickle (protocols 0 to 5) and joblib (plain, zlib, gzip), plus the
 * shared fixtures, pass the scanner and the restricted unpickler and predict what the library did.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { checkPickle } from '../../src/runtimes/python/pickle-scan.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { buildBenign, guardedLoad } from './pickle-helpers.js'
import type { BenignCase } from './pickle-helpers.js'

const SHARED = ['sklearn-logreg-iris', 'sklearn-random-forest-wine', 'xgboost-binary-breast-cancer-pkl'].map((d) => join(MODEL_FIXTURES, d, 'model.pkl'))

let python: string | null = null
let skipReason = ''
let dir: string
let cases: BenignCase[] = []

before(async () => {
  try {
    python = (await findPython(['numpy', 'scipy', 'sklearn', 'joblib', 'xgboost'])).command
  } catch (err) {
    if (process.env.CI) throw err
    skipReason = `no Python with numpy, scipy, sklearn, joblib and xgboost: ${(err as Error).message}`
    console.log(`# skip: ${skipReason}`)
    return
  }
  dir = await makeTemp('quiver-benign-')
  cases = await buildBenign(python, dir)
})

after(() => removeTemp(dir))

test('trained models in every pickle and joblib format, and the shared fixtures, pass the scanner', (t) => {
  if (!python) return t.skip(skipReason)
  assert.ok(cases.length >= 160, `${cases.length} models`)
  for (const file of [...cases.map((c) => c.file), ...SHARED]) checkPickle(readFileSync(file), file)
})

test('the restricted unpickler loads them and they predict what the library predicted', async (t) => {
  if (!python) return t.skip(skipReason)
  const results = await guardedLoad(python, [...cases, ...SHARED.map((file) => ({ file }))])
  for (const [i, r] of results.entries()) {
    assert.equal(r.ok, true, `${r.file}: ${r.error}`)
    const c = cases[i]
    if (c) assert.deepEqual(r.predictions, c.expected, r.file)
  }
})
