/**
 * quiver train through the core API (in process, and once over HTTP): a Python trainer in the
 * sandboxed trainer process, registration through the upload path with metadata.training and
 * lineage, retraining as a new version, a TS trainer, and each kind of bad input.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { createApp } from '../../src/server/app.js'
import { startServer } from '../../src/server/http-server.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { PYTHON, sklearnSkipReason } from '../helpers/sklearn.js'
import { IRIS_CSV } from '../helpers/iris-training.js'

const skip = sklearnSkipReason('training with scikit-learn')


const TRAINERS: Record<string, string> = {
  'logreg.py': `from sklearn.linear_model import LogisticRegression\n\ndef train(X, y, config):\n    print(f"fitting {list(X.columns)} on {len(X)} rows")\n    return LogisticRegression(C=float(config.get("C", 1.0)), max_iter=500).fit(X, y)\n`,
  'raises.py': `def train(X, y, config):\n    raise ValueError("the learning rate must be positive")\n`,
  'lambda.py': `def train(X, y, config):\n    return lambda x: x\n`,
  'xgb.py': `from xgboost import XGBClassifier\n\ndef train(X, y, config):\n    return XGBClassifier(n_estimators=10, max_depth=2).fit(X, y)\n`,
  'torchscript.py': `import torch\n\nclass Net(torch.nn.Module):\n    def __init__(self, k):\n        super().__init__()\n        self.lin = torch.nn.Linear(k, 3)\n    def forward(self, x):\n        return torch.softmax(self.lin(x), dim=1)\n\ndef train(X, y, config):\n    torch.manual_seed(0)\n    net = Net(X.shape[1])\n    opt = torch.optim.Adam(net.parameters(), lr=0.05)\n    xs = torch.tensor(X.to_numpy(), dtype=torch.float32)\n    ys = torch.tensor(y.to_numpy(), dtype=torch.long)\n    for _ in range(200):\n        opt.zero_grad()\n        torch.nn.functional.nll_loss(torch.log(net(xs)), ys).backward()\n        opt.step()\n    return torch.jit.script(net)\n`,
  'no-net.py': `import socket\nfrom sklearn.dummy import DummyClassifier\n\ndef train(X, y, config):\n    socket.create_connection(("127.0.0.1", 5432), timeout=2)\n    return DummyClassifier().fit(X, y)\n`,
}

describe('quiver train', { skip }, () => {
  let dir: string
  let api: LocalQuiverApi
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quiver-train-test-'))
    execFileSync(PYTHON, ['-c', IRIS_CSV, join(dir, 'iris.csv')])
    for (const [name, text] of Object.entries(TRAINERS)) await writeFile(join(dir, name), text)
    const pkl = (await readFile(join(MODEL_FIXTURES, 'sklearn-logreg-iris/model.pkl'))).toString('base64')
    const schema = JSON.parse(await readFile(join(MODEL_FIXTURES, 'sklearn-logreg-iris/case.json'), 'utf8')).output_schema
    await writeFile(join(dir, 'fixed.mjs'), `export function train(X, y, config) {\n  if (X.values.length !== X.rows * X.columns.length) throw new Error('bad matrix')\n  return { bytes: Buffer.from(${JSON.stringify(pkl)}, 'base64'), framework: 'sklearn', fileName: 'model.pkl', outputSchema: ${JSON.stringify(schema)}, classes: [0, 1, 2] }\n}\n`)
    await writeFile(join(dir, 'nothing.mjs'), 'export function train() { return 42 }\n')
    api = await createLocalQuiver({ home: join(dir, 'home'), databaseUrl: '' })
  })
  after(async () => {
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const iris = () => join(dir, 'iris.csv')

  it('registers a version with metadata.training, the inputs schema and lineage to its training set', async () => {
    const lines: string[] = []
    const v = await api.training.train({
      name: 'iris-trained', trainer: join(dir, 'logreg.py'), trainingSet: iris(), label: 'species', date: '2025-07-29',
      config: { C: '0.5', seed: '7' }, tags: ['first'], onProgress: (m) => lines.push(m),
    })
    assert.equal(v.status, 'ready')
    assert.equal(v.framework, 'sklearn')
    assert.deepEqual(v.tags, ['first'])
    assert.deepEqual(v.input_schema, [{ name: 'inputs', type: { list: 'float64', size: 4 }, nullable: false }])
    const t = v.metadata.training as Record<string, any>
    assert.equal(t.date, '2025-07-29')
    assert.equal(t.rows, 150)
    assert.deepEqual(t.features, ['sl', 'sw', 'pl', 'pw'])
    assert.equal(t.label, 'species')
    assert.deepEqual(t.config, { C: '0.5', seed: '7' })
    assert.equal(t.window, null)
    assert.match(t.training_set_sha256, /^[0-9a-f]{64}$/)
    assert.equal(t.library_versions['scikit-learn'] !== undefined, true)
    assert.deepEqual({ seed: t.validation.seed, rows: t.validation.rows, train_rows: t.validation.train_rows }, { seed: 7, rows: 30, train_rows: 120 })
    assert.ok(t.validation.metrics.accuracy > 0.8)
    assert.deepEqual(v.metadata.classes, [0, 1, 2])
    assert.ok(lines.some((l) => /trainer: fitting \['sl', 'sw', 'pl', 'pw'\] on 120 rows/.test(l)), lines.join('\n'))
    const out = await api.infer('iris-trained', { kind: 'json', value: [{ inputs: [5.1, 3.5, 1.4, 0.2] }] })
    assert.equal(Number(out.getChild('out.predictions')!.get(0)), 0)
    const lineage = await api.features.lineage(`iris-trained:${v.version}`)
    const json = JSON.stringify(lineage)
    assert.ok(json.includes(iris()), json)
    assert.ok(json.includes('training_set'), json)
  })

  it('retrains with a new date as a new version with the same split for the same seed', async () => {
    const v1 = await api.getVersion('iris-trained#1')
    const v2 = await api.training.train({ name: 'iris-trained', trainer: join(dir, 'logreg.py'), trainingSet: iris(), label: 'species', date: '2025-08-29', config: { C: '0.5', seed: '7' } })
    assert.equal(v2.seq, 2)
    assert.notEqual(v2.version, v1.version)
    const [t1, t2] = [v1.metadata.training, v2.metadata.training] as Record<string, any>[]
    assert.equal(t2!.date, '2025-08-29')
    assert.deepEqual(t2!.validation.metrics, t1!.validation.metrics)
    assert.equal((await api.listVersions('iris-trained')).length, 2)
  })

  it('trains XGBoost and TorchScript models, registered under their frameworks', async () => {
    const xgb = await api.training.train({ name: 'iris-xgb', trainer: join(dir, 'xgb.py'), trainingSet: iris(), label: 'species' })
    assert.equal(xgb.framework, 'xgboost')
    assert.equal(xgb.status, 'ready')
    assert.ok(((xgb.metadata.training as any).validation.metrics.accuracy as number) > 0.8)
    const ts = await api.training.train({ name: 'iris-torch', trainer: join(dir, 'torchscript.py'), trainingSet: iris(), label: 'species' })
    assert.equal(ts.framework, 'pytorch')
    assert.equal(ts.status, 'ready')
    assert.deepEqual(ts.output_schema, [{ name: 'output', type: { list: 'float32', size: 3 }, nullable: false }])
    assert.ok(((ts.metadata.training as any).validation.metrics.accuracy as number) > 0.8)
  })

  it('trains from a TS/JS module that returns model bytes and a framework', async () => {
    const v = await api.training.train({ name: 'iris-js-trained', trainer: join(dir, 'fixed.mjs'), trainingSet: iris(), label: 'species' })
    assert.equal(v.status, 'ready')
    assert.equal(v.framework, 'sklearn')
    assert.deepEqual(v.metadata.classes, [0, 1, 2])
  })

  it('passes a trainer\'s exception to the user and registers nothing', async () => {
    await assert.rejects(api.training.train({ name: 'never', trainer: join(dir, 'raises.py'), trainingSet: iris(), label: 'species' }),
      (err: Error) => /ValueError: the learning rate must be positive/.test(err.message))
    await assert.rejects(api.listVersions('never'), /does not exist/)
  })

  it('refuses a model it cannot serialize and registers nothing', async () => {
    await assert.rejects(api.training.train({ name: 'never', trainer: join(dir, 'lambda.py'), trainingSet: iris(), label: 'species' }),
      (err: Error) => /cannot serialize/.test(err.message) && /function/.test(err.message))
    await assert.rejects(api.training.train({ name: 'never', trainer: join(dir, 'nothing.mjs'), trainingSet: iris(), label: 'species' }),
      (err: Error) => /cannot serialize/.test(err.message))
    await assert.rejects(api.listVersions('never'), /does not exist/)
  })

  it('refuses a missing label column, naming the columns', async () => {
    await assert.rejects(api.training.train({ name: 'never', trainer: join(dir, 'logreg.py'), trainingSet: iris(), label: 'target' }),
      (err: Error) => /label column 'target'/.test(err.message) && /sl, sw, pl, pw, species/.test(err.message))
  })

  it('runs the trainer without network access', { skip: process.env.QUIVER_SANDBOX === 'off' && 'QUIVER_SANDBOX=off' }, async () => {
    await assert.rejects(api.training.train({ name: 'never', trainer: join(dir, 'no-net.py'), trainingSet: iris(), label: 'species' }),
      (err: Error) => /the trainer failed: (OSError|ConnectionRefusedError|PermissionError)/.test(err.message))
  })

  it('cancels a run when its signal aborts', async () => {
    await writeFile(join(dir, 'slow.py'), 'import time\n\ndef train(X, y, config):\n    print("started")\n    time.sleep(60)\n')
    const abort = new AbortController()
    const run = api.training.train({ name: 'never', trainer: join(dir, 'slow.py'), trainingSet: iris(), label: 'species', signal: abort.signal,
      onProgress: (m) => { if (/started/.test(m)) abort.abort(new Error('cancelled by the test')) } })
    await assert.rejects(run, /cancelled by the test/)
    await assert.rejects(api.listVersions('never'), /does not exist/)
  })

  it('trains over HTTP with the files sent in the request', async () => {
    const server = await startServer(createApp({ api }).app, { host: '127.0.0.1', port: 0 })
    try {
      const remote = new RemoteQuiverApi({ url: server.url })
      const v = await remote.training.train({ name: 'iris-remote', trainer: join(dir, 'logreg.py'), trainingSet: iris(), label: 'species', date: '2025-07-29' })
      assert.equal(v.status, 'ready')
      assert.equal((v.metadata.training as { rows: number }).rows, 150)
    } finally {
      await server.close()
    }
  })
})
