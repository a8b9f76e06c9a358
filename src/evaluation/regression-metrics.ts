/** Regression metrics as scikit-learn computes them: `mean_absolute_error`, RMSE, `r2_score` (force_finite). */
import type { RegressionMetrics } from './results.js'
import { mean, pairwiseSum } from './summation.js'

export type { RegressionMetrics } from './results.js'

export function regressionMetrics(yTrue: Float64Array, yPred: Float64Array): RegressionMetrics {
  const n = yTrue.length
  const abs = new Float64Array(n)
  const sq = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const d = yPred[i]! - yTrue[i]!
    abs[i] = Math.abs(d)
    sq[i] = d * d
  }
  const avg = mean(yTrue)
  const dev = new Float64Array(n)
  for (let i = 0; i < n; i++) { const d = yTrue[i]! - avg; dev[i] = d * d }
  const numerator = pairwiseSum(sq)
  const denominator = pairwiseSum(dev)
  const r2 = denominator !== 0 ? 1 - numerator / denominator : numerator !== 0 ? 0 : 1
  return { rows: n, mae: mean(abs), rmse: Math.sqrt(mean(sq)), r2 }
}
