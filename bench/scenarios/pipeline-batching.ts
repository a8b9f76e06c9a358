import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Table } from 'apache-arrow'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL, irisTable } from '../iris.js'

const CONCURRENCY = 64

/**
 * A deployed one-step iris pipeline in process, 64 concurrent one-row requests per run: batching
 * off (`batch-max-rows 1`) against on (the default), and on without the inference log, which
 * prices logging.
 */
function pipelineScenario(name: string, batchMaxRows: number | undefined, logs: boolean): Scenario {
  let home = ''
  let api: QuiverApi | undefined
  let table: Table | undefined
  return {
    name,
    rawBaseline: 'onnx-raw-b1',
    async setup() {
      const { LocalQuiverApi } = await import('../../src/api/local-api.js')
      const { openMetadataStore } = await import('../../src/store/open-store.js')
      const { openArtifactStore } = await import('../../src/artifacts/open-artifacts.js')
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-pipeline-'))
      api = new LocalQuiverApi({
        store: await openMetadataStore({ home }), artifacts: openArtifactStore({ home }), logsDir: logs ? join(home, 'logs') : undefined,
      })
      await api.uploadModel({ name: 'iris', source: { path: IRIS_MODEL }, framework: 'onnx' })
      await api.pipelines.create('iris', [{ ref: 'iris' }])
      await api.pipelines.deploy('iris', { batchMaxRows })
      table = irisTable(1)
      const out = await api.pipelines.infer('iris', { kind: 'table', table })
      if (out.numRows !== 1) throw new Error(`pipeline returned ${out.numRows} rows for 1`)
    },
    async run() {
      await Promise.all(Array.from({ length: CONCURRENCY }, () => api!.pipelines.infer('iris', { kind: 'table', table: table! })))
      return CONCURRENCY
    },
    async teardown() {
      await api?.close()
      api = undefined
      if (home) await rm(home, { recursive: true, force: true })
    },
  }
}

export const scenarios: Scenario[] = [
  pipelineScenario('pipeline-b1-c64-batch-off', 1, true),
  pipelineScenario('pipeline-b1-c64-batch-on', undefined, true),
  pipelineScenario('pipeline-b1-c64-batch-on-nolog', undefined, false),
]
