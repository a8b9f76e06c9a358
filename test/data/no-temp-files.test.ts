/**
 * Parquet and CSV bodies in and out of a request never touch a folder: the OS temporary folder and
 * Quiver's home are watched (inotify, so even a file created and removed at once is seen) while a
 * model is served Parquet and large CSV bodies and answers in Parquet and CSV.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { watch, type FSWatcher } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { createApp } from '../../src/server/app.js'
import { PARQUET } from '../../src/server/v1/infer-format.js'
import { readParquetBytes, writeParquetBytes } from '../../src/data/duckdb/files.js'
import { inputLimits } from '../../src/data/input-limits.js'

const ZSCORE = join(import.meta.dirname, '..', 'fixtures', 'models', 'js-zscore-step', 'zscore-step.zip')
const FIELDS = ['temperature_c', 'humidity_pct', 'wind_kmh']
const ROWS = 20_000

describe('Parquet and CSV bodies through a request', () => {
  let tmp = ''
  let home = ''
  let saved: string | undefined
  let api: LocalQuiverApi
  let app: ReturnType<typeof createApp>['app']
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'quiver-watched-tmp-'))
    home = await mkdtemp(join(tmpdir(), 'quiver-watched-home-'))
    saved = process.env.TMPDIR
    process.env.TMPDIR = tmp
    api = await createLocalQuiver({ home, databaseUrl: '' })
    app = createApp({ api }).app
    const spec = JSON.parse(await readFile(join(ZSCORE, '..', 'case.json'), 'utf8')) as { input_schema: unknown; output_schema: unknown }
    await api.uploadModel({ name: 'z', source: { path: ZSCORE }, framework: 'js', inputSchema: spec.input_schema, outputSchema: spec.output_schema } as never)
  })
  after(async () => {
    await api?.close()
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
    await rm(tmp, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  })

  /** Runs `job` and returns every name created or removed in the temporary folder and under home meanwhile. */
  async function touched(job: () => Promise<void>): Promise<string[]> {
    const seen: string[] = []
    const watchers: FSWatcher[] = [
      watch(tmp, { recursive: true }, (event, name) => seen.push(`tmp/${name} (${event})`)),
      watch(home, { recursive: true }, (event, name) => { if (event === 'rename') seen.push(`home/${name}`) }),
    ]
    try {
      await job()
      // inotify events are delivered asynchronously: give the last ones time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 100))
    } finally {
      for (const w of watchers) w.close()
    }
    return seen
  }

  it('reads and writes them without a file in the temporary folder or the home', async () => {
    const csv = `${FIELDS.join(',')}\n${Array.from({ length: ROWS }, (_, i) => `${i % 40}.5,${i % 100},${(i * 7) % 60}.25`).join('\n')}\n`
    assert.ok(csv.length >= 256 * 1024, 'large enough for the DuckDB reader')
    const table = arrow.tableFromArrays(Object.fromEntries(FIELDS.map((f, k) => [f, Float64Array.from({ length: ROWS }, (_, i) => i * (k + 1) + 0.5)])))
    const parquet = await writeParquetBytes(table)
    const seen = await touched(async () => {
      for (const format of ['parquet', 'csv']) {
        const viaCsv = await app.request(`/v1/models/z/infer?format=${format}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
        assert.equal(viaCsv.status, 200, await viaCsv.clone().text())
        const viaParquet = await app.request(`/v1/models/z/infer?format=${format}`, { method: 'POST', headers: { 'content-type': PARQUET }, body: parquet as Uint8Array<ArrayBuffer> })
        assert.equal(viaParquet.status, 200, await viaParquet.clone().text())
        const out = new Uint8Array(await viaParquet.arrayBuffer())
        if (format === 'parquet') {
          const back = await readParquetBytes(out, inputLimits())
          assert.equal(back.numRows, ROWS)
          assert.ok(back.schema.fields.some((f) => f.name.endsWith('temperature_z')), back.schema.fields.map((f) => f.name).join())
        } else {
          assert.equal(new TextDecoder().decode(out).trimEnd().split('\n').length, ROWS + 1)
        }
      }
      const bad = await app.request('/v1/models/z/infer', { method: 'POST', headers: { 'content-type': PARQUET }, body: new TextEncoder().encode('PAR1 nope') })
      assert.equal(bad.status, 400)
    })
    assert.deepEqual(seen, [])
    assert.deepEqual(await readdir(tmp), [])
  })
})
