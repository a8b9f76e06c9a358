/**
 * Suites, evaluate and compare through the core API, in process and over HTTP: metrics equal
 * scikit-learn's on the model's own predictions (computed in Python at test time), promotion moves
 * the tag and records the decision, and each kind of bad input gets a clear error.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import { createApp } from '../../src/server/app.js'
import { startServer } from '../../src/server/http-server.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'
import { PYTHON, runPythonJson, sklearnSkipReason } from '../helpers/sklearn.js'
import { execFileSync } from 'node:child_process'

const skip = sklearnSkipReason('evaluation against scikit-learn')
const IRIS = join(MODEL_FIXTURES, 'sklearn-logreg-iris')

/** Writes iris.csv (features + species), iris-unknown.csv (some labels 7) and weak.pkl (a worse model). */
const PREPARE = `
import csv, pickle, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
out = sys.argv[1]
d = load_iris()
for name, relabel in (("iris.csv", False), ("iris-unknown.csv", True)):
    with open(f"{out}/{name}", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sl", "sw", "pl", "pw", "species"])
        for i, (x, y) in enumerate(zip(d.data, d.target)):
            w.writerow([repr(float(v)) for v in x] + [7 if relabel and i % 10 == 0 else int(y)])
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
# A worse model: the same four inputs, of which it looks at the first two only.
weak = make_pipeline(ColumnTransformer([("first_two", "passthrough", [0, 1])]), LogisticRegression(C=0.02, max_iter=200)).fit(d.data, d.target)
pickle.dump(weak, open(f"{out}/weak.pkl", "wb"))
`

/** The metrics scikit-learn gives for a pickled model on iris.csv, for all rows and the two cases. */
const EXPECTED = `
import csv, json, pickle, sys, warnings
import numpy as np
from sklearn import metrics as m
warnings.simplefilter("ignore")
args = json.load(sys.stdin)
rows = list(csv.DictReader(open(args["csv"])))
X = np.array([[float(r[k]) for k in ("sl", "sw", "pl", "pw")] for r in rows])
y = np.array([int(r["species"]) for r in rows])
model = pickle.load(open(args["model"], "rb"))
p, s = model.predict(X), model.predict_proba(X)
out = {}
for name, mask in (("all", np.ones(len(y), bool)), ("long", X[:, 2] > 4), ("short", X[:, 2] <= 4)):
    t, q, sc = y[mask], p[mask], s[mask]
    r = {"accuracy": m.accuracy_score(t, q), "precision_macro": m.precision_score(t, q, average="macro"),
         "recall_macro": m.recall_score(t, q, average="macro"), "f1_macro": m.f1_score(t, q, average="macro"),
         "confusion_matrix": m.confusion_matrix(t, q).tolist()}
    try:
        r["roc_auc"] = m.roc_auc_score(t, sc, multi_class="ovr", average="macro")
    except ValueError:
        r["roc_auc"] = None
    out[name] = r
print(json.dumps(out))
`

interface Harness { api: QuiverApi; close(): Promise<void> }

async function schemas() {
  const c = JSON.parse(await readFile(join(IRIS, 'case.json'), 'utf8'))
  return { inputSchema: c.input_schema, outputSchema: c.output_schema }
}

function evaluationSuite(label: string, open: (home: string) => Promise<Harness>) {
  describe(`evaluation (${label})`, { skip }, () => {
    let dir: string
    let h: Harness
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'quiver-eval-'))
      execFileSync(PYTHON, ['-c', PREPARE, dir])
      h = await open(join(dir, 'home'))
      const s = await schemas()
      await h.api.uploadModel({ name: 'iris', source: { path: join(IRIS, 'model.pkl') }, framework: 'sklearn', ...s })
      await h.api.uploadModel({ name: 'iris', source: { path: join(dir, 'weak.pkl') }, framework: 'sklearn', ...s })
    })
    after(async () => {
      await h?.close()
      await rm(dir, { recursive: true, force: true })
    })

    const cases = [{ name: 'long', expression: 'in.pl > 4' }, { name: 'short', expression: 'in.pl <= 4' }]

    it('creates a versioned suite; the same contents again are a no-op', async () => {
      const req = { name: 'iris-suite', source: { path: join(dir, 'iris.csv') }, label: 'species', features: ['sl', 'sw', 'pl', 'pw'], cases }
      const s = await h.api.evaluation.createSuite(req)
      assert.equal(s.ref, 'iris-suite#1')
      assert.equal(s.rows, 150)
      assert.equal(s.created, true)
      const again = await h.api.evaluation.createSuite(req)
      assert.equal(again.created, false)
      assert.equal(again.ref, 'iris-suite#1')
    })

    it("evaluates with scikit-learn's metrics, per case, to 1e-12", async () => {
      const r = await h.api.evaluation.evaluate('iris#1', { suite: 'iris-suite' })
      const v = await h.api.getVersion('iris#1')
      assert.equal(r.model, `iris:${v.version}`)
      assert.equal(r.suite, 'iris-suite#1')
      assert.equal(r.task, 'classification')
      assert.equal(r.deterministic, true)
      assert.deepEqual(Object.keys(r.cases), ['all', 'long', 'short'])
      const want = runPythonJson<Record<string, Record<string, unknown>>>(EXPECTED, { csv: join(dir, 'iris.csv'), model: join(IRIS, 'model.pkl') })
      for (const [name, w] of Object.entries(want)) {
        const got = r.cases[name] as unknown as Record<string, unknown>
        for (const metric of ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro']) {
          assert.ok(Math.abs((got[metric] as number) - (w[metric] as number)) <= 1e-12, `${name}.${metric}: ${got[metric]} vs ${w[metric]}`)
        }
        assert.deepEqual(got.confusion_matrix, w.confusion_matrix)
        if (w.roc_auc === null) assert.equal(got.roc_auc, null)
        else assert.ok(Math.abs((got.roc_auc as number) - (w.roc_auc as number)) <= 1e-12, `${name}.roc_auc`)
      }
    })

    it('compares two versions and promotes the better one, recording the decision', async () => {
      const r = await h.api.evaluation.compare('iris#2', 'iris#1', { suite: 'iris-suite', promote: 'production' })
      const v1 = await h.api.getVersion('iris#1')
      assert.equal(r.better, 'b')
      assert.deepEqual(r.regressions, [])
      assert.equal(r.promotion?.promoted, true)
      assert.equal(r.promotion?.version, `iris:${v1.version}`)
      const tagged = await h.api.getVersion('iris@production')
      assert.equal(tagged.seq, 1)
      const rec = tagged.metadata.promotion as Record<string, unknown>
      assert.equal(rec.decision, 'promoted')
      assert.equal(rec.tag, 'production')
      const all = r.rows.find((x) => x.case === 'all' && x.metric === 'accuracy')!
      assert.equal(all.delta, all.b! - all.a!)
      // The other way round the candidate regresses: no promotion, the tag stays.
      const back = await h.api.evaluation.compare('iris#1', 'iris#2', { suite: 'iris-suite', promote: 'canary' })
      assert.ok(back.regressions.includes('all'))
      assert.equal(back.better, 'a')
    })

    it('refuses a case expression that does not parse, naming the case and the position', async () => {
      await assert.rejects(
        h.api.evaluation.createSuite({ name: 'bad-case', source: { path: join(dir, 'iris.csv') }, label: 'species', cases: [{ name: 'broken', expression: 'in.pl >> 4' }] }),
        (err: Error) => /case 'broken'/.test(err.message) && /position/.test(err.message),
      )
    })

    it('refuses a missing label column, listing the columns', async () => {
      await assert.rejects(
        h.api.evaluation.createSuite({ name: 'bad-label', source: { path: join(dir, 'iris.csv') }, label: 'target' }),
        (err: Error) => /label column 'target'/.test(err.message) && /sl, sw, pl, pw, species/.test(err.message),
      )
    })

    it('reports ground-truth classes the model never outputs, as scikit-learn counts them', async () => {
      await h.api.evaluation.createSuite({ name: 'unknown', source: { path: join(dir, 'iris-unknown.csv') }, label: 'species', features: ['sl', 'sw', 'pl', 'pw'] })
      const r = await h.api.evaluation.evaluate('iris#1', { suite: 'unknown' })
      assert.ok(r.warnings.some((w) => /class 7 that the model never outputs/.test(w)), r.warnings.join('; '))
      const all = r.cases.all as { labels: unknown[]; roc_auc?: unknown; per_class: Record<string, { recall: number }> }
      assert.deepEqual(all.labels, [0, 1, 2, 7])
      assert.equal(all.per_class['7']!.recall, 0)
      assert.equal(all.roc_auc, null)
    })

    it('refuses to evaluate a version in status error, saying why it is in error', async () => {
      await writeFile(join(dir, 'bad.pb'), 'not a model')
      const v = await h.api.uploadModel({ name: 'broken', source: { path: join(dir, 'bad.pb') }, framework: 'tensorflow' })
      assert.equal(v.status, 'error')
      await assert.rejects(h.api.evaluation.evaluate('broken#1', { suite: 'iris-suite' }), (err: Error) => /status error/.test(err.message))
    })
  })
}

evaluationSuite('in process', async (home) => {
  const api = await createLocalQuiver({ home, databaseUrl: '' })
  return { api, close: () => api.close() }
})

evaluationSuite('remote, over HTTP', async (home) => {
  const local = await createLocalQuiver({ home, databaseUrl: '' })
  const server = await startServer(createApp({ api: local }).app, { host: '127.0.0.1', port: 0 })
  return {
    api: new RemoteQuiverApi({ url: server.url }),
    close: async () => { await server.close(); await local.close() },
  }
})
