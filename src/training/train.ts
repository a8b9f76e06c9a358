/**
 * `quiver train`: reads the training set, splits it with a recorded seed, runs the trainer (a
 * Python file in the sandboxed trainer process, or a TS module), scores the validation rows, and
 * registers the model through the normal upload path with `metadata.training` and lineage edges to
 * the training set and its features. Every run is a new version; a trainer that fails registers
 * nothing.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, extname, join, resolve } from 'node:path'
import type { ModelSchema } from '../data/schema.js'
import { InvalidInput, RuntimeFailure } from '../errors.js'
import { classificationMetrics } from '../evaluation/classification-metrics.js'
import type { Labels } from '../evaluation/labels.js'
import { regressionMetrics } from '../evaluation/regression-metrics.js'
import type { Framework } from '../records/frameworks.js'
import type { VersionRecord } from '../records/version-record.js'
import { assertValidName } from '../registry/names.js'
import { npyBytes, takeRows } from './npy.js'
import { splitRows } from './split.js'
import type { TrainingMetadata, TrainRequest } from './train-types.js'
import { readTrainingData } from './training-data.js'
import { labelsArray, runTsTrainer } from './ts-trainer.js'

/** What the Python trainer process reports (result.json), plus the model file's path. */
export interface PythonTrainerOutput {
  path: string
  framework: string
  input_name: string
  input_item: 'float32' | 'float64'
  output_schema: unknown[]
  classes?: (number | string)[]
  library_versions: Record<string, string>
  validation: { predictions?: (number | string)[]; probabilities?: number[][]; scores?: number[][] }
}

export interface RegisterRequest {
  name: string
  path: string
  framework: Framework
  inputSchema: ModelSchema
  outputSchema?: ModelSchema
  tags: string[]
  metadata: Record<string, unknown>
  onProgress?: (m: string) => void
}

export interface LineageEdge { from_kind: string; from_ref: string; to_kind: string; to_ref: string; relation: string }

export interface TrainDeps {
  runPython(req: { trainer: string; workDir: string; onLine?: (line: string) => void; signal?: AbortSignal }): Promise<PythonTrainerOutput>
  /** The normal upload path (conversion, pickle checks, digests). */
  register(req: RegisterRequest): Promise<VersionRecord>
  addLineage(edges: LineageEdge[]): Promise<void>
}

const PYTHON = new Set(['.py'])
const SCRIPT = new Set(['.ts', '.mts', '.js', '.mjs'])

export async function train(deps: TrainDeps, req: TrainRequest): Promise<VersionRecord> {
  assertValidName(req.name, 'model')
  const progress = req.onProgress ?? (() => {})
  const ext = extname(req.trainer).toLowerCase()
  if (!PYTHON.has(ext) && !SCRIPT.has(ext)) {
    throw new InvalidInput(`trainer ${req.trainer} must be a Python file (.py) or a TS/JS module (.ts, .js, .mjs)`, { field: 'trainer', got: req.trainer })
  }
  const trainerBytes = await readFile(req.trainer).catch(() => {
    throw new InvalidInput(`trainer ${req.trainer} does not exist or cannot be read`, { field: 'trainer', got: req.trainer })
  })
  if (!req.trainingSet) throw new InvalidInput('give a training set: --training-set FILE, or --spine FILE with --features SET.F,...', { field: 'training-set' })
  const setPath = resolve(req.trainingSet)
  const setBytes = await readFile(setPath).catch(() => {
    throw new InvalidInput(`training set ${req.trainingSet} does not exist or cannot be read`, { field: 'training-set', got: req.trainingSet })
  })
  const config = req.config ?? {}
  const data = await readTrainingData(setPath, req.label ?? null, req.spine ? req.features : undefined)
  const split = splitRows(data.rows, { seed: Number(config.seed ?? 0), validation_fraction: Number(config.validation_fraction ?? 0.2) })
  const k = data.features.length
  progress(`training set ${basename(setPath)}: ${data.rows} rows, ${k} features; seed ${split.seed} keeps ${split.validation.length} rows for validation`)
  req.signal?.throwIfAborted()
  const work = await mkdtemp(join(tmpdir(), 'quiver-train-'))
  try {
    const yValid = labelsArray(data.y, split.validation)
    let out: PythonTrainerOutput
    if (PYTHON.has(ext)) {
      await writeFile(join(work, 'spec.json'), JSON.stringify({ features: data.features, label: data.label, config }))
      await writeFile(join(work, 'X_train.npy'), npyBytes(takeRows(data.X, k, split.train), split.train.length, k))
      await writeFile(join(work, 'X_valid.npy'), npyBytes(takeRows(data.X, k, split.validation), split.validation.length, k))
      await writeFile(join(work, 'y_train.json'), JSON.stringify(labelsArray(data.y, split.train)))
      await writeFile(join(work, 'y_valid.json'), JSON.stringify(yValid))
      progress(`running ${basename(req.trainer)} in the trainer process`)
      out = await deps.runPython({ trainer: req.trainer, workDir: work, onLine: (l) => progress(`trainer: ${l}`), signal: req.signal })
    } else {
      progress(`running ${basename(req.trainer)}`)
      const ts = await runTsTrainer(req.trainer, {
        X: { columns: data.features, rows: split.train.length, values: takeRows(data.X, k, split.train) },
        y: labelsArray(data.y, split.train), config,
      }, work)
      out = {
        path: ts.path, framework: ts.framework, input_name: 'inputs', input_item: 'float64', output_schema: ts.outputSchema ?? [],
        classes: ts.classes, library_versions: { node: process.versions.node }, validation: {},
      }
    }
    req.signal?.throwIfAborted()
    const training: TrainingMetadata = {
      window: req.window ?? null,
      date: req.date ?? new Date().toISOString().slice(0, 10),
      training_set: setPath,
      training_set_sha256: createHash('sha256').update(setBytes).digest('hex'),
      rows: data.rows, features: data.features, label: data.label, config,
      library_versions: out.library_versions,
      trainer: basename(req.trainer),
      trainer_sha256: createHash('sha256').update(trainerBytes).digest('hex'),
      validation: {
        seed: split.seed, fraction: split.validation_fraction, train_rows: split.train.length, rows: split.validation.length,
        metrics: validationMetrics(data.y, yValid, out),
      },
    }
    progress(`registering ${req.name} (${out.framework})`)
    const metadata: Record<string, unknown> = { training }
    if (out.classes) metadata.classes = out.classes
    const version = await deps.register({
      name: req.name, path: out.path, framework: out.framework as Framework,
      inputSchema: [{ name: out.input_name, type: { list: out.input_item, size: k }, nullable: false }],
      outputSchema: out.output_schema.length ? out.output_schema as ModelSchema : undefined,
      tags: req.tags ?? [], metadata, onProgress: progress,
    })
    const model = `${version.name}:${version.version}`
    const edges: LineageEdge[] = [{ from_kind: 'training_set', from_ref: setPath, to_kind: 'model_version', to_ref: model, relation: 'trained' }]
    for (const f of data.features) {
      if (f.includes('.')) edges.push({ from_kind: 'feature', from_ref: f, to_kind: 'model_version', to_ref: model, relation: 'feature_of' })
    }
    await deps.addLineage(edges)
    if (version.status === 'error') throw new RuntimeFailure(`${version.name}#${version.seq} was registered but is in status error: ${version.error_message}`, { version: model })
    return version
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function validationMetrics(y: Labels | null, yValid: (number | string)[] | null, out: PythonTrainerOutput): Record<string, unknown> | null {
  // A TorchScript module answers scores per class: its prediction is the argmax.
  const scores = out.validation.scores
  const pred = out.validation.predictions ?? (scores && y?.kind === 'number' ? scores.map((row) => row.indexOf(Math.max(...row))) : undefined)
  if (y === null || yValid === null || !pred || yValid.length === 0) return null
  const labels = (v: (number | string)[]): Labels => (typeof v[0] === 'number'
    ? { kind: 'number', values: Float64Array.from(v as number[]) } : { kind: 'string', values: v.map(String) })
  const regression = out.output_schema.length === 1 && !out.classes && !scores
  if (regression) return { ...regressionMetrics(Float64Array.from(yValid as number[]), Float64Array.from(pred as number[])) }
  const p = out.validation.probabilities
  const proba = p && out.classes ? { values: Float64Array.from(p.flat()), classes: labels(out.classes) } : undefined
  return { ...classificationMetrics(labels(yValid), labels(pred), proba) }
}
