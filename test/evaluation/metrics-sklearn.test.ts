/** The metrics against scikit-learn's, computed in Python at test time on the same data, to 1e-12. */
import { mulberry32 } from '../../src/data/seeded-random.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classificationMetrics } from '../../src/evaluation/classification-metrics.js'
import { regressionMetrics } from '../../src/evaluation/regression-metrics.js'
import { runPythonJson, sklearnSkipReason } from '../helpers/sklearn.js'

const skip = sklearnSkipReason()

const SKLEARN = `
import json, sys, warnings
import numpy as np
from sklearn import metrics as m
warnings.simplefilter("ignore")
out = []
for c in json.load(sys.stdin):
    if c["task"] == "regression":
        t, p = np.array(c["y_true"], dtype=float), np.array(c["y_pred"], dtype=float)
        out.append({"mae": m.mean_absolute_error(t, p), "rmse": m.mean_squared_error(t, p, squared=False), "r2": m.r2_score(t, p)})
        continue
    t, p = np.array(c["y_true"]), np.array(c["y_pred"])
    labels = list(np.unique(np.concatenate([t, p])))
    pr, rc, f1, sup = m.precision_recall_fscore_support(t, p, average=None)
    r = {"accuracy": m.accuracy_score(t, p),
         "precision_macro": m.precision_score(t, p, average="macro"),
         "recall_macro": m.recall_score(t, p, average="macro"),
         "f1_macro": m.f1_score(t, p, average="macro"),
         "confusion_matrix": m.confusion_matrix(t, p).tolist(),
         "precision": pr.tolist(), "recall": rc.tolist(), "f1": f1.tolist(), "support": sup.tolist()}
    if c.get("proba") is not None:
        s = np.array(c["proba"], dtype=float)
        try:
            r["roc_auc"] = m.roc_auc_score(t, s[:, 1]) if s.shape[1] == 2 else m.roc_auc_score(t, s, multi_class="ovr", average="macro", labels=c["classes"])
        except ValueError:
            r["roc_auc"] = None
    out.append(r)
print(json.dumps(out))
`

/** A seeded generator, so every run tests the same data. */
const rng = mulberry32

interface Case { task: 'classification' | 'regression'; y_true: (number | string)[]; y_pred: (number | string)[]; proba?: number[][]; classes?: (number | string)[] }

function classificationCase(r: () => number, n: number, classes: (number | string)[], extraTrue: (number | string)[] = [], ties = false): Case {
  const k = classes.length
  const y_true: (number | string)[] = []
  const y_pred: (number | string)[] = []
  const proba: number[][] = []
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r() * k)
    const raw = classes.map((_, c) => (ties ? Math.round(r() * 4) / 4 : r()) + (c === t ? 0.6 : 0) + 1e-3)
    const sum = raw.reduce((a, b) => a + b, 0)
    const row = raw.map((v) => v / sum)
    proba.push(row)
    y_pred.push(classes[row.indexOf(Math.max(...row))]!)
    y_true.push(i < extraTrue.length ? extraTrue[i]! : classes[t]!)
  }
  return { task: 'classification', y_true, y_pred, proba, classes }
}

const toLabels = (v: (number | string)[]) =>
  typeof v[0] === 'number' ? { kind: 'number' as const, values: Float64Array.from(v as number[]) } : { kind: 'string' as const, values: v as string[] }

function close(got: number, want: number, what: string) {
  assert.ok(Math.abs(got - want) <= 1e-12, `${what}: got ${got}, scikit-learn ${want} (difference ${Math.abs(got - want)})`)
}

describe('metrics equal scikit-learn', { skip }, () => {
  const r = rng(12)
  const cases: Case[] = [
    classificationCase(r, 300, [0, 1]),
    classificationCase(r, 1000, [0, 1, 2]),
    classificationCase(r, 517, ['cat', 'dog', 'emu', 'fox']),
    classificationCase(r, 400, [3, 5, 9], [], true),
    // ground truth with a class the model never outputs (7): AUC undefined, the rest as scikit-learn counts it
    classificationCase(r, 120, [0, 1, 2], [7, 7, 7]),
    classificationCase(r, 9, [0, 1]),
  ]
  for (const n of [5, 133, 2000]) {
    const y_true = Array.from({ length: n }, () => r() * 100 - 20)
    cases.push({ task: 'regression', y_true, y_pred: y_true.map((v) => v + (r() - 0.4) * 7) })
  }
  cases.push({ task: 'regression', y_true: [2, 2, 2], y_pred: [2, 2, 2] }, { task: 'regression', y_true: [2, 2, 2], y_pred: [1, 2, 3] })
  const want = skip ? [] : runPythonJson<Record<string, unknown>[]>(SKLEARN, cases)

  cases.forEach((c, k) => {
    it(`${c.task} case ${k} (${c.y_true.length} rows)`, () => {
      const w = want[k] as Record<string, number & number[] & number[][]>
      if (c.task === 'regression') {
        const got = regressionMetrics(Float64Array.from(c.y_true as number[]), Float64Array.from(c.y_pred as number[]))
        for (const m of ['mae', 'rmse', 'r2'] as const) close(got[m], w[m], m)
        return
      }
      const got = classificationMetrics(toLabels(c.y_true), toLabels(c.y_pred), {
        values: Float64Array.from(c.proba!.flat()), classes: toLabels(c.classes!),
      })
      for (const m of ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro'] as const) close(got[m], w[m], m)
      assert.deepEqual(got.confusion_matrix, w.confusion_matrix)
      got.labels.forEach((label, i) => {
        const pc = got.per_class[String(label)]!
        close(pc.precision, w.precision[i]!, `precision of ${label}`)
        close(pc.recall, w.recall[i]!, `recall of ${label}`)
        close(pc.f1, w.f1[i]!, `f1 of ${label}`)
        assert.equal(pc.support, w.support[i])
      })
      if (w.roc_auc === null) assert.equal(got.roc_auc, null)
      else close(got.roc_auc!, w.roc_auc as unknown as number, 'roc_auc')
    })
  })
})
