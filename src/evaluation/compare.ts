/**
 * `quiver compare A B`: both versions' metrics on one suite side by side, per case and metric,
 * with B − A deltas; a case regresses when the one version is worse than the other by more than
 * the threshold. With a tag to promote, the tag moves to the better version (by F1 macro, or R²)
 * when it regresses on no case; the decision and both versions' metrics are recorded in the
 * better version's metadata either way.
 */
import type { CaseMetrics, ComparisonResult, EvaluationResult, MetricComparison, Promotion } from './results.js'

export type { ComparisonResult, MetricComparison, Promotion } from './results.js'

export const HIGHER_IS_BETTER = ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'roc_auc', 'r2'] as const
export const LOWER_IS_BETTER = ['mae', 'rmse'] as const
const METRICS = [...HIGHER_IS_BETTER, ...LOWER_IS_BETTER]

const value = (m: CaseMetrics | undefined, metric: string): number | null => {
  const v = (m as unknown as Record<string, unknown> | undefined)?.[metric]
  return typeof v === 'number' ? v : null
}

export function compareEvaluations(a: EvaluationResult, b: EvaluationResult, threshold: number): Omit<ComparisonResult, 'promotion'> {
  const rows: MetricComparison[] = []
  const names = [...new Set([...Object.keys(a.cases), ...Object.keys(b.cases)])]
  for (const c of names) {
    for (const metric of METRICS) {
      const x = value(a.cases[c], metric)
      const y = value(b.cases[c], metric)
      if (x === null && y === null) continue
      const delta = x === null || y === null ? null : y - x
      const sign = (LOWER_IS_BETTER as readonly string[]).includes(metric) ? -1 : 1
      rows.push({
        case: c, metric, a: x, b: y, delta,
        regression: delta !== null && sign * delta < -threshold,
        improvement: delta !== null && sign * delta > threshold,
      })
    }
  }
  const primary = a.task === 'regression' ? 'r2' : 'f1_macro'
  const pa = value(a.cases.all, primary) ?? -Infinity
  const pb = value(b.cases.all, primary) ?? -Infinity
  return {
    a: a.model, b: b.model, suite: a.suite, task: a.task, threshold, rows,
    regressions: [...new Set(rows.filter((r) => r.regression).map((r) => r.case))],
    better: pb > pa ? 'b' : pa > pb ? 'a' : 'tie',
    results: [a, b],
  }
}

/** Whether the tag may move to the better version: it must be better, and regress against the other on no case. */
export function promotionDecision(cmp: Omit<ComparisonResult, 'promotion'>, tag: string): Promotion {
  if (cmp.better === 'tie') {
    return { tag, promoted: false, version: cmp.b, reason: `neither version is better on the whole suite (${cmp.task === 'regression' ? 'r2' : 'f1_macro'} is equal)` }
  }
  const winner = cmp.better === 'b' ? cmp.b : cmp.a
  const worse = cmp.rows.filter((r) => (cmp.better === 'b' ? r.regression : r.improvement))
  if (worse.length > 0) {
    const list = worse.map((r) => `${r.case}.${r.metric} ${fmt(cmp.better === 'b' ? r.a : r.b)} → ${fmt(cmp.better === 'b' ? r.b : r.a)}`).join(', ')
    return { tag, promoted: false, version: winner, reason: `${winner} is better overall but regresses beyond ${cmp.threshold} on ${list}` }
  }
  return { tag, promoted: true, version: winner, reason: `${winner} is better overall and regresses on no case` }
}

function fmt(x: number | null): string {
  return x === null ? 'null' : Number(x.toPrecision(6)).toString()
}
