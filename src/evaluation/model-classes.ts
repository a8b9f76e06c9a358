/**
 * Which class each probability column stands for: the version's `metadata.classes` (written by
 * `quiver train`), else 0..k-1 when every prediction and label is such an index, else the
 * ground truth's classes when there are exactly k of them. Ground-truth classes the model never
 * outputs are reported as warnings.
 */
import type { VersionRecord } from '../records/version-record.js'
import type { Labels } from './labels.js'
import type { ModelAnswers } from './model-outputs.js'

export function modelClasses(version: VersionRecord, answers: ModelAnswers, truth: Labels, warnings: string[]): Labels | null {
  const k = answers.probabilities?.k
  const truthSet = new Set<number | string>(truth.values)
  const declared = (version.metadata as { classes?: unknown }).classes
  let classes: Labels | null = null
  if (Array.isArray(declared) && (k === undefined || declared.length === k)) {
    classes = declared.every((c) => typeof c === 'number')
      ? { kind: 'number', values: Float64Array.from(declared as number[]) }
      : { kind: 'string', values: declared.map(String) }
  } else if (k !== undefined && answers.predicted.kind === 'number' && truth.kind === 'number' && isIndexes(answers.predicted, k)) {
    classes = { kind: 'number', values: Float64Array.from({ length: k }, (_, c) => c) }
  } else if (k !== undefined && truthSet.size === k) {
    const sorted = [...truthSet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    classes = truth.kind === 'number' ? { kind: 'number', values: Float64Array.from(sorted as number[]) } : { kind: 'string', values: sorted as string[] }
  }
  const known = new Set<number | string>(classes ? classes.values : answers.predicted.values)
  const unknown = [...truthSet].filter((c) => !known.has(c))
  if (unknown.length > 0) {
    const list = (s: Iterable<number | string>) => [...s].map((c) => JSON.stringify(c)).join(', ')
    warnings.push(`the ground truth holds class${unknown.length > 1 ? 'es' : ''} ${list(unknown)} that the model never outputs (${classes ? 'its classes' : 'it predicted'}: ${list(known)}); those rows count as errors and ROC AUC is null`)
  }
  if (k !== undefined && classes === null) warnings.push(`cannot tell which class each of the ${k} probability columns stands for; ROC AUC is left out (record metadata.classes on the version)`)
  return classes
}

function isIndexes(l: Labels, k: number): boolean {
  const v = l.values as Float64Array
  for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]) || v[i]! < 0 || v[i]! >= k) return false
  return true
}
