/**
 * A regression model evaluated through the core API: MAE, RMSE and R² per case equal
 * scikit-learn's on the model's own stored inferences and the suite's labels, to 1e-12.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { tableFromIPC } from 'apache-arrow'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { runPythonJson, sklearnSkipReason } from '../helpers/sklearn.js'

const skip = sklearnSkipReason('regression evaluation against scikit-learn')
const FIXTURE = join(MODEL_FIXTURES, 'xgboost-regressor-diabetes-json')

const SKLEARN = `
import json, sys
import numpy as np
from sklearn import metrics as m
a = json.load(sys.stdin)
t, p, f0 = np.array(a["y"], dtype=float), np.array(a["p"], dtype=float), np.array(a["f0"], dtype=float)
out = {}
for name, mask in (("all", np.ones(len(t), bool)), ("older", f0 > 0)):
    out[name] = {"mae": m.mean_absolute_error(t[mask], p[mask]), "rmse": m.mean_squared_error(t[mask], p[mask], squared=False), "r2": m.r2_score(t[mask], p[mask])}
print(json.dumps(out))
`

let dir: string
let api: LocalQuiverApi
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quiver-regression-'))
  api = await createLocalQuiver({ home: join(dir, 'home'), databaseUrl: '' })
})
after(async () => {
  await api?.close()
  await rm(dir, { recursive: true, force: true })
})

it('evaluates a regressor with scikit-learn\'s MAE, RMSE and R² per case', { skip }, async () => {
  const c = JSON.parse(await readFile(join(FIXTURE, 'case.json'), 'utf8'))
  await api.uploadModel({ name: 'diabetes', source: { path: join(FIXTURE, 'model.json') }, framework: 'xgboost', inputSchema: c.input_schema, outputSchema: c.output_schema })
  const inputs = JSON.parse(await readFile(join(FIXTURE, 'input.json'), 'utf8')).columns.inputs as number[][]
  const expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')).columns.predictions as number[]
  const records: Record<string, number>[] = inputs.map((row, i) => ({ ...Object.fromEntries(row.map((v, k) => [`f${k}`, v])), y: expected[i]! + ((i * 37) % 11) - 5 }))
  await writeFile(join(dir, 'suite.json'), JSON.stringify(records))
  const features = inputs[0]!.map((_, k) => `f${k}`)
  await api.evaluation.createSuite({ name: 'diabetes', source: { path: join(dir, 'suite.json') }, label: 'y', features, cases: [{ name: 'older', expression: 'in.f0 > 0' }] })
  const r = await api.evaluation.evaluate('diabetes', { suite: 'diabetes' })
  assert.equal(r.task, 'regression')
  const chunks: Buffer[] = []
  for await (const chunk of await api.artifacts.open(r.inferences_sha256)) chunks.push(Buffer.from(chunk as Uint8Array))
  const stored = tableFromIPC(Buffer.concat(chunks))
  const p = Array.from(stored.getChild('out.predictions')!.toArray() as Float64Array)
  const want = runPythonJson<Record<string, Record<string, number>>>(SKLEARN, { y: records.map((x) => x.y), p, f0: records.map((x) => x.f0) })
  for (const [name, w] of Object.entries(want)) {
    for (const metric of ['mae', 'rmse', 'r2']) {
      const got = (r.cases[name] as unknown as Record<string, number>)[metric]!
      assert.ok(Math.abs(got - w[metric]!) <= 1e-12, `${name}.${metric}: ${got} vs scikit-learn ${w[metric]}`)
    }
  }
})
