import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Table } from 'apache-arrow'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import type { InferenceLog } from '../../src/pipelines/logs/inference-log.js'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL, irisTable } from '../iris.js'

const MODEL = 'bench-iris'

/**
 * In-process inference with the inference log off and on, measured in the same run. Each
 * iteration is `requests` inferences of `rows` rows; with logging on, the log flushes once per
 * iteration's worth of rows (far more often than its default of 65,536 rows or once a second), and
 * that flush's encoding runs on the same event loop during the next iteration, as it does while
 * serving, so its cost is inside the timed iterations. Teardown checks that every row reached
 * disk. The logging scenario's ratio is off rows/s ÷ on rows/s (the target is ≤ 1.10×).
 */
function logScenario(rows: number, requests: number, logging: boolean): Scenario {
  let home = ''
  let api: QuiverApi | undefined
  let log: InferenceLog | undefined
  let table: Table | undefined
  let appended = 0
  const off = `log-off-b${rows}`
  return {
    name: logging ? `log-on-b${rows}` : off,
    ...(logging ? { rawBaseline: off } : {}),
    budget: { full: { warmup: 3, minIterations: 20 }, quick: { warmup: 1, minIterations: 5 } },
    async setup() {
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      const { InferenceLog } = await import('../../src/pipelines/logs/inference-log.js')
      const { logSettings } = await import('../../src/pipelines/logs/log-settings.js')
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-'))
      api = await createLocalQuiver({ home })
      await api.uploadModel({ name: MODEL, source: { path: IRIS_MODEL }, framework: 'onnx' })
      if (logging) log = await InferenceLog.open(join(home, 'logs', 'default', 'bench'), logSettings({ flushRows: rows * requests }))
      appended = 0
      table = irisTable(rows)
    },
    async run() {
      for (let i = 0; i < requests; i++) {
        const t0 = performance.now()
        const out = await api!.infer(MODEL, { kind: 'table', table: table! })
        log?.append(out, { pipelineVersion: 'bench-1', steps: [`${MODEL}#1`], latencyMs: performance.now() - t0 })
      }
      appended += rows * requests
      return rows * requests
    },
    async teardown() {
      if (log !== undefined) {
        await log.close()
        const { droppedRows } = await log.stats()
        const logged = (await log.query({ limit: Number.MAX_SAFE_INTEGER })).numRows
        if (droppedRows > 0 || logged !== appended) throw new Error(`the log holds ${logged} of ${appended} rows (${droppedRows} dropped)`)
      }
      await api?.close()
      api = undefined
      log = undefined
      if (home) await rm(home, { recursive: true, force: true })
    },
  }
}

export const scenarios: Scenario[] = [
  logScenario(1, 2000, false), logScenario(1, 2000, true),
  logScenario(1024, 20, false), logScenario(1024, 20, true),
]
