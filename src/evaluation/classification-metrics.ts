/**
 * Classification metrics as scikit-learn computes them (`accuracy_score`,
 * `precision_recall_fscore_support(average=None|'macro', zero_division='warn')`,
 * `confusion_matrix`, `roc_auc_score`), counted over integer codes in typed arrays.
 */
import { encodeLabels, type Labels } from './labels.js'
import type { ClassificationMetrics, ClassMetrics } from './results.js'

export type { ClassificationMetrics, ClassMetrics } from './results.js'
import { rocAuc } from './roc-auc.js'
import { mean } from './summation.js'

/** Probabilities row-major (rows × classes.length), columns in the order of the model's `classes`. */
export interface Probabilities { values: Float64Array; classes: Labels }

export function classificationMetrics(yTrue: Labels, yPred: Labels, proba?: Probabilities): ClassificationMetrics {
  const n = yTrue.values.length
  const { classes, codes } = encodeLabels([yTrue, yPred], ['the label column', "the model's predictions"])
  const [t, p] = codes as [Int32Array, Int32Array]
  const k = classes.length
  const cm = new Float64Array(k * k)
  for (let i = 0; i < n; i++) cm[t[i]! * k + p[i]!]! += 1
  let correct = 0
  for (let c = 0; c < k; c++) correct += cm[c * k + c]!
  const precision = new Float64Array(k)
  const recall = new Float64Array(k)
  const f1 = new Float64Array(k)
  const perClass: Record<string, ClassMetrics> = {}
  for (let c = 0; c < k; c++) {
    let predSum = 0
    let trueSum = 0
    for (let j = 0; j < k; j++) { predSum += cm[j * k + c]!; trueSum += cm[c * k + j]! }
    const tp = cm[c * k + c]!
    // zero_division: a 0/0 counts as 0, as scikit-learn does (with a warning).
    precision[c] = predSum === 0 ? 0 : tp / predSum
    recall[c] = trueSum === 0 ? 0 : tp / trueSum
    const denom = precision[c]! + recall[c]!
    f1[c] = (2 * precision[c]! * recall[c]!) / (denom === 0 ? 1 : denom)
    perClass[String(classes[c])] = { precision: precision[c]!, recall: recall[c]!, f1: f1[c]!, support: trueSum }
  }
  const out: ClassificationMetrics = {
    rows: n,
    accuracy: n === 0 ? 0 : correct / n,
    precision_macro: mean(precision),
    recall_macro: mean(recall),
    f1_macro: mean(f1),
    confusion_matrix: Array.from({ length: k }, (_, r) => Array.from(cm.subarray(r * k, r * k + k))),
    labels: classes,
    per_class: perClass,
  }
  if (proba) out.roc_auc = probabilityAuc(yTrue, proba)
  return out
}

/**
 * scikit-learn needs the ground truth to hold exactly the classes the probability columns stand
 * for (two for binary); otherwise it refuses, and so the AUC is null.
 */
function probabilityAuc(yTrue: Labels, proba: Probabilities): number | null {
  const k = proba.classes.values.length
  if (yTrue.kind !== proba.classes.kind || k < 2) return null
  const { classes, codes } = encodeLabels([proba.classes, yTrue], ['the model classes', 'the label column'])
  if (classes.length !== k) return null
  const present = new Uint8Array(k)
  const truth = codes[1]!
  for (let i = 0; i < truth.length; i++) present[truth[i]!] = 1
  if (present.some((x) => x === 0)) return null
  // Probability columns follow the model's class order; codes follow the sorted order.
  const column = codes[0]!
  const sorted = new Float64Array(proba.values.length)
  for (let i = 0; i < truth.length; i++) {
    for (let c = 0; c < k; c++) sorted[i * k + column[c]!] = proba.values[i * k + c]!
  }
  return rocAuc(truth, sorted, k)
}
