/** Shared pieces of the Python runtime tests: interpreter gate, load contexts, tables, comparison. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { toArrowType } from '../../src/data/schema.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/records/frameworks.js'
import type { LoadableVersion, LoadContext } from '../../src/runtimes/runtime.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import type { PythonModule, PythonProbe } from '../../src/runtimes/python/find-python.js'

export const MODELS_DIR = fileURLToPath(new URL('../fixtures/models/', import.meta.url))
export const PY_FIXTURES = fileURLToPath(new URL('../fixtures/python/', import.meta.url))

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

export interface TestLoadContext extends LoadContext {
  lines: string[]
  cleanup(): void
}

/** A LoadContext over a real file; zips are extracted with `unzip` into a temp folder. */
export function contextFor(artifact: string): TestLoadContext {
  const lines: string[] = []
  let dir: string | null = null
  return {
    lines,
    artifactPath: async () => artifact,
    extractedPath: async () => {
      if (!dir) {
        dir = mkdtempSync(join(tmpdir(), 'quiver-py-'))
        execFileSync('unzip', ['-q', artifact, '-d', dir])
      }
      return dir
    },
    additionalFilePath: async (name) => {
      throw new Error(`no additional file ${name}`)
    },
    progress: (m) => lines.push(m),
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

let nextId = 1
export function versionOf(framework: Framework, artifact: string, input: ModelSchema, output: ModelSchema, config: Record<string, unknown> = {}): LoadableVersion {
  const id = nextId++
  return {
    id,
    name: `test-${framework}-${id}`,
    version: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    framework,
    file_name: basename(artifact),
    sha256: '0'.repeat(64),
    input_schema: input,
    output_schema: output,
    metadata: {},
    additional_files: {},
    config,
  }
}

export interface FixtureCase {
  dir: string
  framework: Framework
  artifact: string
  input_schema: ModelSchema
  output_schema: ModelSchema
  tolerance: { abs: number; rel: number }
  input: Record<string, unknown[]>
  expected: Record<string, unknown[]>
}

export function readCase(name: string): FixtureCase {
  const dir = join(MODELS_DIR, name)
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
  const cols = (f: string) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { columns: Record<string, unknown[]> }).columns
  return { dir, ...c, artifact: join(dir, c.artifact), input: cols('input.json'), expected: cols('expected.json') }
}

/** JSON columns → an Arrow table with exactly the schema's types. */
export function tableOf(columns: Record<string, unknown[]>, schema: ModelSchema): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {}
  for (const f of schema) vectors[f.name] = arrow.vectorFromArray(columns[f.name]!, toArrowType(f.type))
  return new arrow.Table(vectors)
}

export { columnValues, mismatch } from '../helpers/arrow-values.js'
