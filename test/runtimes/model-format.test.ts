import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { isQuiverError } from '../../src/errors.js'
import type { Framework } from '../../src/records/frameworks.js'
import { checkModelFormat, sniffModelFormat } from '../../src/runtimes/model-format.js'

const MODELS = join(import.meta.dirname, '../fixtures/models')
const PY = join(import.meta.dirname, '../fixtures/python')

const FILES: [string, string][] = [
  [join(MODELS, 'onnx-mlp-iris/model.onnx'), 'onnx'],
  [join(MODELS, 'sklearn-logreg-iris/model.pkl'), 'pickle'],
  [join(MODELS, 'xgboost-binary-breast-cancer-pkl/model.pkl'), 'pickle'],
  [join(MODELS, 'xgboost-regressor-diabetes-json/model.json'), 'xgboost-json'],
  [join(MODELS, 'pytorch-mlp-iris/model.pt'), 'torchscript-zip'],
  [join(MODELS, 'python-zscore-step/zscore-step.zip'), 'zip'],
  [join(PY, 'pipeline-zlib.joblib'), 'zlib'],
  [join(PY, 'state_dict.pt'), 'zip'],
]

describe('model formats told from their bytes', () => {
  for (const [path, want] of FILES) {
    it(`${path.split('/').slice(-2).join('/')} is ${want}`, async () => {
      assert.equal(await sniffModelFormat(path), want)
    })
  }

  it('passes every fixture under its own framework', async () => {
    for (const dir of await readdir(MODELS, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue
      const framework = dir.name.split('-')[0]! as Framework
      for (const file of await readdir(join(MODELS, dir.name))) {
        if (/\.(json)$/.test(file) && framework !== 'xgboost') continue
        if (/^(case|expected|input)\.json$/.test(file)) continue
        await checkModelFormat(join(MODELS, dir.name, file), file, framework)
      }
    }
  })
})

describe('an upload under the wrong framework', () => {
  let home: string
  let api: LocalQuiverApi
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-format-'))
    api = await createLocalQuiver({ home, databaseUrl: '' })
  })
  after(async () => {
    await api.close()
    await rm(home, { recursive: true, force: true })
  })

  const cases: [string, string, string, RegExp][] = [
    [join(MODELS, 'onnx-mlp-iris/model.onnx'), 'sklearn', 'onnx', /model\.onnx is an ONNX model \(a protobuf ModelProto\), not a sklearn model; upload it with --framework onnx/],
    [join(MODELS, 'sklearn-logreg-iris/model.pkl'), 'onnx', 'pickle', /model\.pkl is a Python pickle, not a onnx model; upload it with --framework sklearn or --framework xgboost/],
    [join(MODELS, 'xgboost-regressor-diabetes-json/model.json'), 'sklearn', 'xgboost-json', /is an XGBoost JSON model, not a sklearn model; upload it with --framework xgboost/],
    [join(MODELS, 'pytorch-mlp-iris/model.pt'), 'xgboost', 'torchscript', /is a TorchScript archive \(torch\.jit\.save\), not a xgboost model; upload it with --framework pytorch/],
  ]
  for (const [path, framework, what, message] of cases) {
    it(`refuses ${what} uploaded as ${framework}, keeping nothing`, async () => {
      const schema = [{ name: 'x', type: 'float64' }]
      await assert.rejects(
        api.uploadModel({ name: 'wrong', source: { path }, framework: framework as 'onnx', inputSchema: schema as never, outputSchema: schema as never }),
        (err: unknown) => {
          assert.ok(isQuiverError(err) && err.code === 'invalid_input', String(err))
          assert.match(err.message, message)
          assert.equal(err.details?.field, 'framework')
          return true
        },
      )
      assert.deepEqual((await api.listModels()).map((m) => m.name), [])
      const blobs = await readdir(join(home, 'artifacts'), { recursive: true, withFileTypes: true }).catch(() => [])
      assert.equal(blobs.filter((e) => e.isFile()).length, 0)
    })
  }
})
