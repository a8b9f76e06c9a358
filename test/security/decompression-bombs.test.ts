/**
 * Small bodies that decode to huge inputs: Parquet whose footer declares a million rows, or whose
 * columns expand past the decoded-bytes limit. Each is refused with a 413 naming the limit and its
 * environment variable — from the footer and the value lengths before any row is read — through a
 * real `quiver serve` and the embedded app. A large decode leaves the event loop free: health
 * checks keep being answered while it runs.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { createApp } from '../../src/server/app.js'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { PARQUET } from '../../src/server/v1/infer-format.js'
import { refreshInputLimits } from '../../src/data/input-limits.js'
import { errorText, IRIS_ONNX, openDoors, stillServes, type Doors } from './doors.js'

const LIMITS = { QUIVER_MAX_INPUT_ROWS: '200000', QUIVER_MAX_DECODED_BYTES: '2000000' }

let dir = ''
/** Parquet bytes of `select`, written by DuckDB. */
async function parquet(name: string, select: string): Promise<Uint8Array> {
  const instance = await DuckDBInstance.create(':memory:')
  const c = await instance.connect()
  const path = join(dir, `${name}.parquet`)
  await c.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`)
  c.closeSync()
  return new Uint8Array(await readFile(path))
}

const post = (bytes: Uint8Array): RequestInit => ({ method: 'POST', headers: { 'content-type': PARQUET }, body: bytes as Uint8Array<ArrayBuffer> })

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quiver-bombs-'))
})
after(() => rm(dir, { recursive: true, force: true }))

describe('Parquet past the input limits', () => {
  let d: Doors
  const saved: Record<string, string | undefined> = {}
  before(async () => {
    d = await openDoors(LIMITS)
    // The embedded door runs in this process and reads the limits from its environment.
    for (const [k, v] of Object.entries(LIMITS)) {
      saved[k] = process.env[k]
      process.env[k] = v
    }
    refreshInputLimits()
  })
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    refreshInputLimits()
    await d?.close()
  })

  const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
    ['a million rows declared by the footer', () => parquet('rows', 'SELECT [0.5, 1.0, 1.5, 2.0]::FLOAT[4] AS features FROM range(1000000)'),
      /Parquet input \(its footer\): 1000000 rows is past the limit of 200000 \(set QUIVER_MAX_INPUT_ROWS to change it\)/],
    ['columns whose footer says they decompress past the bytes limit', () => parquet('wide', "SELECT 'row-' || i || repeat('x', 12) AS features FROM range(150000) t(i)"),
      /Parquet input \(its footer\): \d+ decoded bytes is past the limit of 2000000 \(set QUIVER_MAX_DECODED_BYTES to change it\)/],
    ['one long string repeated through a dictionary page', () => parquet('dict', "SELECT repeat('x', 1000) AS features FROM range(10000)"),
      /Parquet input \(its values\): 10000000 decoded bytes is past the limit of 2000000 \(set QUIVER_MAX_DECODED_BYTES to change it\)/],
    ['fixed-size lists whose rows decode past the bytes limit', () => parquet('stream', 'SELECT [0.5, 1.0, 1.5, 2.0]::FLOAT[4] AS features FROM range(190000)'),
      /Parquet input \(its values\): \d+ decoded bytes is past the limit of 2000000 \(set QUIVER_MAX_DECODED_BYTES to change it\)/],
  ]
  for (const [name, body, message] of cases) {
    it(`${name} → 413`, async () => {
      const bytes = await body()
      for (const door of d.doors) {
        const res = await door.request('/v1/models/iris/infer', post(bytes))
        const text = await errorText(res)
        assert.equal(res.status, 413, `${door.name}: ${text}`)
        assert.match(text, message, door.name)
        await stillServes(door)
      }
    })
  }

  it('JSON past the row limit → 413 naming the limit', async () => {
    const rows = Array.from({ length: 200_001 }, () => [1, 2, 3, 4])
    for (const door of d.doors) {
      const res = await door.request('/v1/models/iris/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ columns: { features: rows } }) })
      const text = await errorText(res)
      assert.equal(res.status, 413, `${door.name}: ${text}`)
      assert.match(text, /JSON input: 200001 rows is past the limit of 200000 \(set QUIVER_MAX_INPUT_ROWS/)
      await stillServes(door)
    }
  })

  it('nothing stored changed', async () => {
    for (const door of d.doors) {
      const versions = (await (await door.request('/v1/models/iris/versions')).json()) as { seq: number; status: string }[]
      assert.deepEqual(versions.map((v) => [v.seq, v.status]), [[1, 'ready']], door.name)
    }
  })
})

describe('a large decode', () => {
  let home = ''
  let api: LocalQuiverApi
  let server: RunningServer
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-bombs-serve-'))
    api = await createLocalQuiver({ home, databaseUrl: '' })
    server = await startServer(createApp({ api }).app, { host: '127.0.0.1', port: 0 })
    await api.uploadModel({ name: 'iris', source: { path: IRIS_ONNX }, framework: 'onnx' })
  })
  after(async () => {
    await server?.close()
    await api?.close()
    await rm(home, { recursive: true, force: true })
  })

  it('leaves health checks answering while a million Parquet rows decode', async () => {
    // The last row is null, so the request ends in a 400 after decoding everything and before
    // any model runs: every health answer counted came while rows were being decoded.
    const bytes = await parquet('slow', 'SELECT [0.5, 1.0, 1.5, 2.0]::FLOAT[4] AS features FROM range(999999) UNION ALL SELECT NULL::FLOAT[4]')
    let pending = true
    const request = fetch(`${server.url}/v1/models/iris/infer`, post(bytes)).finally(() => (pending = false))
    let answers = 0
    while (pending) {
      const res = await fetch(`${server.url}/v2/health/live`)
      assert.equal(res.status, 200)
      await res.arrayBuffer()
      if (pending) answers++
    }
    const res = await request
    const text = await errorText(res)
    assert.equal(res.status, 400, text)
    assert.match(text, /field 'features' row 999999: expected list of 4 float32, got null/)
    assert.ok(answers >= 5, `only ${answers} health answers arrived during the decode`)
  })
})
