/** Peak RSS of enriching 5M rows Parquet → Parquet in a fresh process: `node --import tsx bench/offline/enrich-5m.ts [ROWS]`. */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tasks from './tasks.js'

const rows = Number(process.argv[2] ?? 5_000_000)
const dir = await mkdtemp(join(tmpdir(), 'quiver-enrich-5m-'))
try {
  const model = join(dir, 'score.onnx')
  await tasks.writeScoreModel(model)
  await tasks.duck(`COPY (SELECT (i % 90)::DOUBLE AS a, (i % 7)::DOUBLE AS b, (i * 1.5)::DOUBLE AS c FROM range(${rows}) t(i)) TO '${join(dir, 'abc.parquet')}' (FORMAT parquet)`)
  const { createLocalQuiver } = await import('../../src/api/create-local.js')
  const home = join(dir, 'home')
  const api = await createLocalQuiver({ home, databaseUrl: '' })
  await api.uploadModel({ name: 'score', source: { path: model }, framework: 'onnx' })
  await api.close()
  const peak = fileURLToPath(new URL('./peak-rss.ts', import.meta.url))
  const t0 = performance.now()
  const out = execFileSync(process.execPath, ['--import', 'tsx', peak, 'enrich', home, join(dir, 'abc.parquet'), join(dir, 'out.parquet')], { encoding: 'utf8' })
  console.log(out.trim(), `${((performance.now() - t0) / 1000).toFixed(1)} s`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
process.exit(0)
