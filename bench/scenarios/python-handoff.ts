import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import type { Scenario } from '../scenario.js'

const ROWS = 10_000
const COLUMNS = 30

/**
 * The Python worker round trip alone: 10k rows × 30 float64 columns to a worker, through an
 * identity `process_data`, and back as an Arrow table.
 */
function handoffScenario(): Scenario {
  let runtime: PythonRuntime | undefined
  let session: Session | undefined
  let table: arrow.Table | undefined
  let dir: string | undefined
  return {
    name: 'python-handoff-10k-x30',
    budget: { quick: { warmup: 5, minIterations: 20, timeMs: 1000 }, full: { warmup: 20, minIterations: 200, timeMs: 5000 } },
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'quiver-bench-py-'))
      writeFileSync(join(dir, 'identity.py'), 'def process_data(input_data):\n    return input_data\n')
      const schema: ModelSchema = Array.from({ length: COLUMNS }, (_, i) => ({ name: `c${i}`, type: 'float64', nullable: false }))
      const v = {
        id: 0, name: 'bench-identity', version: '00000000-0000-4000-8000-000000000000', framework: 'python' as const,
        file_name: 'identity.zip', sha256: '', input_schema: schema, output_schema: schema, metadata: {}, additional_files: {}, config: {},
      }
      runtime = new PythonRuntime()
      const folder = dir
      session = await runtime.load(v, {
        artifactPath: async () => folder,
        extractedPath: async () => folder,
        additionalFilePath: async () => folder,
        progress: () => {},
      })
      const cols: Record<string, Float64Array> = {}
      for (let c = 0; c < COLUMNS; c++) cols[`c${c}`] = Float64Array.from({ length: ROWS }, (_, r) => r * COLUMNS + c)
      table = arrow.tableFromArrays(cols)
    },
    async run() {
      const out = await session!.infer(table!)
      if (out.numRows !== ROWS) throw new Error(`identity step returned ${out.numRows} rows`)
      return ROWS
    },
    async teardown() {
      await session?.close()
      await runtime?.dispose()
      if (dir) rmSync(dir, { recursive: true, force: true })
      session = undefined
    },
  }
}

export const scenarios: Scenario[] = [handoffScenario()]
