/**
 * ROC AUC as scikit-learn 1.x computes it: `_binary_clf_curve` over scores sorted descending
 * (stable), `roc_curve(drop_intermediate=True)`, then the trapezoid rule; one-vs-rest macro average
 * for more than two classes.
 */
import { mean, pairwiseSum } from './summation.js'

/** AUC of `scores` for `positive` (1 = positive row); null when the rows hold only one class. */
export function binaryRocAuc(positive: Uint8Array, scores: Float64Array): number | null {
  const n = scores.length
  // np.argsort(y_score, kind="mergesort")[::-1]: ascending stable, then reversed.
  const asc = Array.from({ length: n }, (_, i) => i)
  asc.sort((a, b) => scores[a]! - scores[b]! || a - b)
  const order = asc.reverse()
  const cumTps = new Float64Array(n)
  let acc = 0
  for (let k = 0; k < n; k++) { acc += positive[order[k]!]!; cumTps[k] = acc }
  const thresholds: number[] = []
  for (let k = 0; k < n - 1; k++) if (scores[order[k + 1]!]! - scores[order[k]!]! !== 0) thresholds.push(k)
  thresholds.push(n - 1)
  const tpsAll = thresholds.map((k) => cumTps[k]!)
  const fpsAll = thresholds.map((k, j) => 1 + k - tpsAll[j]!)
  // drop_intermediate: keep the ends and every point where the curve bends.
  const keep: number[] = []
  for (let j = 0; j < tpsAll.length; j++) {
    if (j === 0 || j === tpsAll.length - 1) { keep.push(j); continue }
    const d2f = fpsAll[j + 1]! - 2 * fpsAll[j]! + fpsAll[j - 1]!
    const d2t = tpsAll[j + 1]! - 2 * tpsAll[j]! + tpsAll[j - 1]!
    if (d2f !== 0 || d2t !== 0) keep.push(j)
  }
  const tps = [0, ...keep.map((j) => tpsAll[j]!)]
  const fps = [0, ...keep.map((j) => fpsAll[j]!)]
  const totalP = tps[tps.length - 1]!
  const totalN = fps[fps.length - 1]!
  if (totalP === 0 || totalN === 0) return null
  const parts = new Float64Array(tps.length - 1)
  for (let k = 1; k < tps.length; k++) {
    const dx = fps[k]! / totalN - fps[k - 1]! / totalN
    parts[k - 1] = (dx * (tps[k]! / totalP + tps[k - 1]! / totalP)) / 2
  }
  return pairwiseSum(parts)
}

/**
 * `roc_auc_score(y, proba)`: binary on the second column, else one-vs-rest macro. `codes` index
 * the model's classes (the probability columns); null when a class has no positive or no negative
 * row, as scikit-learn refuses then.
 */
export function rocAuc(codes: Int32Array, proba: Float64Array, k: number): number | null {
  const n = codes.length
  const column = (c: number) => {
    const s = new Float64Array(n)
    for (let i = 0; i < n; i++) s[i] = proba[i * k + c]!
    return s
  }
  const isClass = (c: number) => {
    const p = new Uint8Array(n)
    for (let i = 0; i < n; i++) p[i] = codes[i] === c ? 1 : 0
    return p
  }
  if (k === 2) return binaryRocAuc(isClass(1), column(1))
  const scores = new Float64Array(k)
  for (let c = 0; c < k; c++) {
    const auc = binaryRocAuc(isClass(c), column(c))
    if (auc === null) return null
    scores[c] = auc
  }
  return mean(scores)
}
