import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { IRIS_DIR, IRIS_ONNX, close, irisTable, json, openHarness, uploadForm, type Harness } from './harness.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

const ARROW = 'application/vnd.apache.arrow.stream'
const ROWS = [[5.7, 3.8, 1.7, 0.3], [6.7, 2.5, 5.8, 1.8]]

describe('REST /v1', () => {
  let h: Harness
  let expected: number[][]
  before(async () => {
    h = await openHarness()
    expected = JSON.parse(await readFile(join(IRIS_DIR, 'expected.json'), 'utf8')).columns.species_probs
  })
  after(() => h.close())

  const req = (path: string, init?: RequestInit) => h.app.request(path, init)

  it('uploads a model file as multipart/form-data and returns the version (201)', async () => {
    const form = await uploadForm({ name: 'iris', framework: 'onnx', tag: ['prod', 'first'], description: 'mlp', meta: '{"team":"ml","k":1}' }, { path: IRIS_ONNX })
    const res = await req('/v1/models', { method: 'POST', body: form })
    const v = await json(res)
    assert.equal(res.status, 201, JSON.stringify(v))
    assert.equal(v.name, 'iris')
    assert.equal(v.seq, 1)
    assert.equal(v.status, 'ready')
    assert.equal(v.file_name, 'model.onnx')
    assert.deepEqual(v.metadata, { team: 'ml', k: 1 })
    assert.deepEqual([...v.tags].sort(), ['first', 'prod'])
    assert.deepEqual(v.input_schema, [{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
    const second = await json(await req('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) }))
    assert.equal(second.seq, 2)
  })

  it('lists models and versions and shows every kind of reference, URL-encoded', async () => {
    const models = await json(await req('/v1/models'))
    assert.deepEqual(models.map((m: any) => [m.name, m.versions]), [['iris', 2]])
    const versions = await json(await req('/v1/models/iris/versions'))
    assert.deepEqual(versions.map((v: any) => v.seq), [1, 2])
    const uuid = versions[0].version
    for (const [path, seq] of [
      ['/v1/models/iris', 2], ['/v1/models/iris%231', 1], ['/v1/models/iris%40prod', 1], [`/v1/models/iris%3A${uuid}`, 1],
      [`/v1/models/default%2Firis%231`, 1], ['/v1/models/iris/versions/2', 2], [`/v1/models/iris/versions/${uuid}`, 1],
    ] as const) {
      const res = await req(path)
      assert.equal(res.status, 200, path)
      assert.equal((await json(res)).seq, seq, path)
    }
    const status = await json(await req('/v1/models/iris%231/status'))
    assert.deepEqual(status, { name: 'iris', seq: 1, version: uuid, status: 'ready', error_message: null })
  })

  it('moves a tag and removes it', async () => {
    const tagged = await json(await req('/v1/models/iris%232/tags', { method: 'POST', body: JSON.stringify({ tag: 'prod' }), headers: { 'content-type': 'application/json' } }))
    assert.equal(tagged.seq, 2)
    assert.equal((await json(await req('/v1/models/iris%40prod'))).seq, 2)
    const removed = await req('/v1/models/iris/tags/prod', { method: 'DELETE' })
    assert.deepEqual(await json(removed), { name: 'iris', tag: 'prod', removed: true })
    const gone = await req('/v1/models/iris%40prod')
    assert.equal(gone.status, 404)
    assert.match((await json(gone)).error.message, /has no tag 'prod'/)
  })

  it('infers JSON records in, JSON records out (SPEC §4 result table)', async () => {
    const res = await req('/v1/models/iris/infer', { method: 'POST', body: JSON.stringify(ROWS.map((features) => ({ features }))), headers: { 'content-type': 'application/json' } })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type')!, /application\/json/)
    const rows = await json(res)
    assert.equal(rows.length, 2)
    assert.deepEqual(Object.keys(rows[0]), ['time', 'in.features', 'out.species_probs', 'anomaly.count'])
    assert.ok(close(rows[0]['out.species_probs'], expected[0]!))
    assert.ok(close(rows[1]['out.species_probs'], expected[1]!))
  })

  it('answers columns with ?format=columns and Arrow IPC by Accept, from Arrow IPC in', async () => {
    const cols = await json(await req('/v1/models/iris%231/infer?format=columns', { method: 'POST', body: JSON.stringify({ columns: { features: ROWS } }), headers: { 'content-type': 'application/json' } }))
    assert.ok(close(cols.columns['out.species_probs'][1], expected[1]!))
    const res = await req('/v1/models/iris/infer', { method: 'POST', body: tableToIPC(irisTable(ROWS), 'stream') as Uint8Array<ArrayBuffer>, headers: { 'content-type': ARROW, accept: ARROW } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), ARROW)
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()))
    assert.deepEqual(table.schema.names, ['time', 'in.features', 'out.species_probs', 'anomaly.count'])
    assert.ok(close(Array.from(table.getChild('out.species_probs')!.get(1)!), expected[1]!))
  })
})
