/** Shared pieces of the native conversion tests: interpreter gate, fixture cases, tables, comparison. */
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { toArrowType } from '../../src/data/schema.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/registry/frameworks.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import type { PythonModule, PythonProbe } from '../../src/runtimes/python/find-python.js'
import type { LoadableVersion, LoadContext } from '../../src/runtimes/runtime.js'

export const MODELS_DIR = fileURLToPath(new URL('../fixtures/models/', import.meta.url))
export const CONVERT_FIXTURES = fileURLToPath(new URL('../fixtures/convert/', import.meta.url))
export const CONVERTED_FIXTURES = ['sklearn-logreg-iris', 'sklearn-random-forest-wine', 'xgboost-binary-breast-cancer-pkl', 'xgboost-regressor-diabetes-json']

/** The interpreter with `modules`, or null after skipping the test (a failure when CI is set). */
export async function pythonOr(t: TestContext, modules: PythonModule[]): Promise<PythonProbe | null> {
  try {
    return await findPython(modules)
  } catch (err) {
    if (process.env.CI) throw err
    const reason = `no Python interpreter with ${modules.join(', ')}: ${(err as Error).message}`
    console.log(`# skip: ${reason}`)
    t.skip(reason)
    return null
  }
}

export interface RecordingContext extends LoadContext {
  lines: string[]
}

export function contextFor(artifact: string): RecordingContext {
  const lines: string[] = []
  return {
    lines,
    artifactPath: async () => artifact,
    extractedPath: async () => artifact,
    additionalFilePath: async (name) => {
      throw new Error(`no additional file ${name}`)
    },
    progress: (m) => lines.push(m),
  }
}

let nextId = 1
export function versionOf(framework: Framework, artifact: string, input: ModelSchema, output: ModelSchema, config: Record<string, unknown> = {}): LoadableVersion {
  const id = nextId++
  return {
    id, name: `convert-${framework}-${id}`, version: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`, framework,
    file_name: basename(artifact), sha256: '0'.repeat(64), input_schema: input, output_schema: output,
    metadata: {}, additional_files: {}, config,
  }
}

/** A model with its schemas, inputs and the library's outputs (the shared fixtures' case.json layout). */
export interface ModelCase {
  name: string
  framework: Framework
  artifact: string
  input_schema: ModelSchema
  output_schema: ModelSchema
  tolerance: { abs: number; rel: number }
  input: Record<string, unknown[]>
  expected: Record<string, unknown[]>
}

/** Reads `dir/case.json`, `input.json` and `expected.json`. */
export function readCase(dir: string): ModelCase {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
  const cols = (f: string) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { columns: Record<string, unknown[]> }).columns
  return { name: basename(dir), ...c, artifact: join(dir, c.artifact), input: cols('input.json'), expected: cols('expected.json') }
}

/** JSON columns → an Arrow table with exactly the schema's types (null stands for NaN in float lists). */
export function tableOf(columns: Record<string, unknown[]>, schema: ModelSchema): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {}
  const nan = (v: unknown): unknown => (Array.isArray(v) ? v.map(nan) : v === null ? NaN : v)
  for (const f of schema) vectors[f.name] = arrow.vectorFromArray(columns[f.name]!.map(nan), toArrowType(f.type))
  return new arrow.Table(vectors)
}

export { columnValues, mismatch } from '../helpers/arrow-values.js'
