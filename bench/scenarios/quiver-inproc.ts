import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Table } from 'apache-arrow'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL, irisTable } from '../iris.js'

const MODEL = 'bench-iris'

/** `QuiverApi.infer` in process on a pre-built Arrow table: the whole core path over the raw run. */
function inprocScenario(rows: number): Scenario {
  let home = ''
  let api: QuiverApi | undefined
  let table: Table | undefined
  return {
    name: `inproc-b${rows}`,
    rawBaseline: `onnx-raw-b${rows}`,
    async setup() {
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-'))
      api = await createLocalQuiver({ home })
      await api.uploadModel({ name: MODEL, source: { path: IRIS_MODEL }, framework: 'onnx' })
      table = irisTable(rows)
      const out = await api.infer(MODEL, { kind: 'table', table })
      if (out.numRows !== rows) throw new Error(`infer returned ${out.numRows} rows for ${rows}`)
    },
    async run() {
      await api!.infer(MODEL, { kind: 'table', table: table! })
      return rows
    },
    async teardown() {
      await api?.close()
      api = undefined
      if (home) await rm(home, { recursive: true, force: true })
    },
  }
}

export const scenarios: Scenario[] = [inprocScenario(1), inprocScenario(1024)]
