/**
 * `quiver evaluate`: runs a ready model version over a suite's samples in batches through the one
 * inference path, computes the metrics of every case over typed arrays, runs a sample again to
 * check the model answers the same, and stores the inferences (an Arrow IPC blob) and the result.
 */
import { Readable } from 'node:stream'
import * as arrow from 'apache-arrow'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { InvalidInput, NotReady, isQuiverError } from '../errors.js'
import type { InferencePath } from '../pipelines/inference-path.js'
import { readColumn } from '../pipelines/validations/columns.js'
import type { SuiteStore } from '../store/suite-store.js'
import { caseMasks, compileCases } from './cases.js'
import { classificationMetrics } from './classification-metrics.js'
import { countSet, selectLabels } from './labels.js'
import { modelClasses } from './model-classes.js'
import { modelInput } from './model-input.js'
import { readAnswers, toLabels } from './model-outputs.js'
import { regressionMetrics } from './regression-metrics.js'
import type { CaseMetrics, EvaluationResult } from './results.js'

export type { CaseMetrics, EvaluationResult } from './results.js'
import type { Suites } from './suites.js'

export interface EvaluateDeps { suites: Suites; inference: InferencePath; store: SuiteStore; artifacts: ArtifactStore }
export interface EvaluateOptions { suite: string; workspace: string; batchRows?: number; onProgress?: (m: string) => void; signal?: AbortSignal }

const BATCH_ROWS = 1024
const DETERMINISM_ROWS = 64

export async function evaluate(deps: EvaluateDeps, ref: string, opts: EvaluateOptions): Promise<EvaluationResult> {
  const version = await deps.inference.readyVersion(ref, opts.workspace).catch((err: unknown) => {
    if (isQuiverError(err) && err.code === 'not_ready') throw new NotReady(`cannot evaluate: ${err.message}`, err.details)
    throw err
  })
  const what = `${version.name}#${version.seq}`
  const suite = await deps.suites.load(opts.suite, opts.workspace)
  const { record } = suite
  const input = modelInput(suite.table, record.features, version.input_schema ?? [], what)
  const batchRows = opts.batchRows ?? BATCH_ROWS
  const results: arrow.Table[] = []
  const times: number[] = []
  for (let start = 0; start < input.numRows; start += batchRows) {
    opts.signal?.throwIfAborted()
    const batch = input.slice(start, Math.min(input.numRows, start + batchRows))
    const t0 = performance.now()
    results.push(await deps.inference.inferVersion(version, { kind: 'table', table: batch }))
    times.push(performance.now() - t0)
    opts.onProgress?.(`evaluated ${Math.min(input.numRows, start + batchRows)} of ${input.numRows} rows`)
  }
  const result = results.length === 1 ? results[0]! : results[0]!.concat(...results.slice(1))
  const sample = input.slice(0, Math.min(DETERMINISM_ROWS, input.numRows))
  const again = await deps.inference.inferVersion(version, { kind: 'table', table: sample })
  const deterministic = sameOutputs(result.slice(0, sample.numRows), again)

  const truth = toLabels(readColumn(suite.table, record.label, [], record.label), `label column '${record.label}'`)
  const answers = readAnswers(result, version.output_schema ?? [], what)
  const task = answers.continuous && answers.probabilities === null ? 'regression' : 'classification'
  if (task === 'regression' && truth.kind !== 'number') {
    throw new InvalidInput(`${what} predicts numbers (out.${answers.field}) but label column '${record.label}' holds strings`, { field: record.label, expected: 'numbers', got: 'strings' })
  }
  const warnings: string[] = []
  const classes = task === 'classification' ? modelClasses(version, answers, truth, warnings) : null
  const masks = caseMasks(compileCases(record.cases, record.schema), suite.table)
  const cases: Record<string, CaseMetrics> = {}
  const metricsOf = (mask: Uint8Array | null): CaseMetrics => {
    if (task === 'regression') {
      return regressionMetrics(selectLabels(truth, mask).values as Float64Array, selectLabels(answers.predicted, mask).values as Float64Array)
    }
    const p = answers.probabilities
    const proba = p && classes ? { values: selectRows(p.values, p.k, mask), classes } : undefined
    return classificationMetrics(selectLabels(truth, mask), selectLabels(answers.predicted, mask), proba)
  }
  cases.all = metricsOf(null)
  for (const [name, mask] of masks) {
    if (countSet(mask) === 0) { warnings.push(`case '${name}' selects no rows`); continue }
    cases[name] = metricsOf(mask)
  }
  const sorted = [...times].sort((a, b) => a - b)
  const total = times.reduce((a, b) => a + b, 0)
  const outputs = new arrow.Table(Object.fromEntries(result.schema.fields.filter((f) => f.name.startsWith('out.')).map((f) => [f.name, result.getChild(f.name)!])))
  const blob = await deps.artifacts.put(Readable.from([arrow.tableToIPC(outputs, 'stream')]))
  const body = {
    model: `${version.name}:${version.version}`, suite: record.ref, task, cases, deterministic, rows: input.numRows,
    latency: {
      batches: times.length, batch_rows: Math.min(batchRows, input.numRows), mean_ms: total / times.length,
      p50_ms: sorted[Math.floor((sorted.length - 1) / 2)]!, p95_ms: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!,
      rows_per_second: total > 0 ? (input.numRows * 1000) / total : 0,
    },
    warnings,
  } satisfies Omit<EvaluationResult, 'evaluation_id' | 'inferences_sha256' | 'created_at'>
  const stored = await deps.store.addEvaluation({ version_id: version.id, suite_id: suite.id, inferences_sha256: blob.sha256, result: body })
  return { ...body, evaluation_id: stored.id, inferences_sha256: blob.sha256, created_at: stored.created_at }
}

function selectRows(values: Float64Array, k: number, mask: Uint8Array | null): Float64Array {
  if (mask === null) return values
  const out = new Float64Array(countSet(mask) * k)
  let j = 0
  for (let i = 0; i < mask.length; i++) if (mask[i]) { out.set(values.subarray(i * k, i * k + k), j * k); j++ }
  return out
}

/** The out.* columns of two results over the same rows hold the same values. */
function sameOutputs(a: arrow.Table, b: arrow.Table): boolean {
  for (const f of a.schema.fields) {
    if (!f.name.startsWith('out.')) continue
    const x = a.getChild(f.name)!
    const y = b.getChild(f.name)
    if (!y || JSON.stringify(x.toArray(), replacer) !== JSON.stringify(y.toArray(), replacer)) return false
  }
  return true
}

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>)
  if (v !== null && typeof v === 'object' && 'toArray' in v && typeof (v as { toArray: unknown }).toArray === 'function') return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray())
  return v
}

