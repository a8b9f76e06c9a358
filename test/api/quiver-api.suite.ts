/**
 * The core's behaviour, run against every QuiverApi implementation (in process, and over HTTP
 * through the SDK), so the doors cannot drift apart.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, before, after } from 'node:test'
import * as arrow from 'apache-arrow'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'

export interface ApiHarness {
  api: QuiverApi
  /** Files in the artifact store, to check that failures leave none behind (null when not observable). */
  blobCount(): Promise<number | null>
  close(): Promise<void>
}

const ONNX = join(MODEL_FIXTURES, 'onnx-mlp-iris/model.onnx')
const ROWS = [[5.7, 3.8, 1.7, 0.3], [6.7, 2.5, 5.8, 1.8]]

function code(pattern: string, message?: RegExp) {
  return (err: any) => {
    assert.equal(err?.code, pattern, `expected code ${pattern}, got ${err?.code}: ${err?.message}`)
    if (message) assert.match(err.message, message)
    return true
  }
}

export function quiverApiSuite(name: string, open: () => Promise<ApiHarness>): void {
  describe(`QuiverApi (${name})`, () => {
    let h: ApiHarness
    let api: QuiverApi
    let scratch: string
    before(async () => {
      h = await open()
      api = h.api
      scratch = await mkdtemp(join(tmpdir(), 'quiver-api-suite-'))
    })
    after(() => h?.close())

    it('uploads versions #1 and #2 with distinct UUIDs and the file digest', async () => {
      const v1 = await api.uploadModel({ name: 'iris', source: { path: ONNX }, framework: 'onnx', metadata: { owner: 'ml' }, description: 'first' })
      const v2 = await api.uploadModel({ name: 'iris', source: { path: ONNX }, framework: 'onnx', tags: ['production'] })
      assert.deepEqual([v1.seq, v2.seq], [1, 2])
      assert.notEqual(v1.version, v2.version)
      assert.match(v1.version, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      const digest = createHash('sha256').update(await readFile(ONNX)).digest('hex')
      assert.equal(v1.sha256, digest)
      assert.equal(v1.status, 'ready')
      assert.equal(v1.runtime, 'native')
      assert.equal(v1.file_name, 'model.onnx')
      assert.deepEqual(v1.metadata, { owner: 'ml' })
      assert.deepEqual(v1.input_schema, [{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
      assert.deepEqual(v2.tags, ['production'])
      assert.ok(!Number.isNaN(Date.parse(v1.created_at)))
    })

    it('resolves every kind of reference', async () => {
      const versions = await api.listVersions('iris')
      assert.deepEqual(versions.map((v) => v.seq), [1, 2])
      assert.equal((await api.getVersion('iris')).seq, 2)
      assert.equal((await api.getVersion('iris@latest')).seq, 2)
      assert.equal((await api.getVersion('iris@production')).seq, 2)
      assert.equal((await api.getVersion('iris#1')).seq, 1)
      assert.equal((await api.getVersion(`iris:${versions[0]!.version}`)).seq, 1)
      assert.equal((await api.getVersion('default/iris#1')).seq, 1)
    })

    it('moves a tag atomically and removes it', async () => {
      const moved = await api.tag('iris#1', 'production')
      assert.deepEqual(moved.tags, ['production'])
      assert.deepEqual((await api.getVersion('iris#2')).tags, [])
      assert.equal((await api.getVersion('iris@production')).seq, 1)
      await api.untag('iris', 'production')
      await assert.rejects(api.getVersion('iris@production'), code('not_found', /no tag 'production'/))
      await assert.rejects(api.untag('iris', 'production'), code('not_found'))
    })

    it('infers SPEC §4 result tables from records, columns and Arrow', async () => {
      const fromRecords = await api.infer('iris', { kind: 'json', value: ROWS.map((features) => ({ features })) })
      assert.deepEqual(fromRecords.schema.fields.map((f) => f.name), ['time', 'in.features', 'out.species_probs', 'anomaly.count'])
      assert.equal(fromRecords.numRows, 2)
      const probs = fromRecords.getChild('out.species_probs')!.get(0)!.toArray() as Float32Array
      assert.ok(Math.abs(probs[0]! - 0.99336916) < 1e-5)
      const fromColumns = await api.infer('iris#1', { kind: 'json', value: { columns: { features: ROWS } } })
      assert.deepEqual(fromColumns.getChild('out.species_probs')!.get(1)!.toArray(), fromRecords.getChild('out.species_probs')!.get(1)!.toArray())
      const values = Float32Array.from(ROWS.flat())
      const child = arrow.makeData({ type: new arrow.Float32(), length: values.length, data: values })
      const type = new arrow.FixedSizeList(4, new arrow.Field('item', new arrow.Float32(), true))
      const table = new arrow.Table({ features: arrow.makeVector(arrow.makeData({ type, length: 2, nullCount: 0, child })) })
      const fromArrow = await api.infer('iris', { kind: 'table', table })
      assert.equal(fromArrow.getChild('anomaly.count')!.get(0), 0)
    })

    it('refuses bad input before any model runs, naming field and row', async () => {
      await assert.rejects(api.infer('iris', { kind: 'json', value: [{ features: [1, 2, 3] }] }), code('invalid_input', /features/))
      await assert.rejects(api.infer('iris', { kind: 'json', value: [{ other: [1, 2, 3, 4] }] }), code('invalid_input', /features|other/))
      await assert.rejects(api.infer('iris', { kind: 'json', value: [] }), code('invalid_input', /no rows/))
      await assert.rejects(api.infer('iris', { kind: 'json', value: [{ features: [1, 2, 3, 4] }, { features: null }] }), code('invalid_input', /row 1/))
      await assert.rejects(api.infer('iris', { kind: 'json', value: [{ features: ['a', 2, 3, 4] }] }), code('invalid_input', /features/))
    })

    it('refuses bad names, frameworks, schemas and references with clear errors', async () => {
      for (const bad of ['My_Model', 'UPPER', 'a'.repeat(64), 'dots.here', '']) {
        await assert.rejects(api.uploadModel({ name: bad, source: { path: ONNX }, framework: 'onnx' }), code('invalid_input', /name/))
      }
      await assert.rejects(api.uploadModel({ name: 'x', source: { path: ONNX }, framework: 'tensorflw' as any }), code('invalid_input', /unknown framework 'tensorflw'/))
      await assert.rejects(api.uploadModel({ name: 'x', source: { path: ONNX }, framework: 'sklearn' }), code('invalid_input', /input schema/))
      await assert.rejects(api.uploadModel({ name: 'x', source: { path: ONNX }, framework: 'onnx', inputSchema: [{ name: 'a', type: 'float128' }] as any }), code('invalid_input', /float128/))
      await assert.rejects(api.getVersion('nope'), code('not_found', /'nope' does not exist/))
      await assert.rejects(api.getVersion('iris#99'), code('not_found', /#99/))
      await assert.rejects(api.getVersion('iris:0f8fad5b-d9cb-469f-a165-70867728950e'), code('not_found'))
      assert.deepEqual((await api.listModels()).map((m) => m.name), ['iris'])
    })

    it('refuses a corrupt ONNX file and leaves registry and artifact store as they were', async () => {
      const bytes = await readFile(ONNX)
      const truncated = join(scratch, 'truncated.onnx')
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
      const garbage = join(scratch, 'garbage.onnx')
      await writeFile(garbage, 'this is not a model')
      const before = await h.blobCount()
      for (const path of [truncated, garbage]) {
        await assert.rejects(api.uploadModel({ name: 'iris', source: { path }, framework: 'onnx' }), code('invalid_input', /onnx/i))
        await assert.rejects(api.uploadModel({ name: 'fresh', source: { path }, framework: 'onnx' }), code('invalid_input'))
      }
      assert.deepEqual((await api.listVersions('iris')).map((v) => v.seq), [1, 2])
      assert.deepEqual((await api.listModels()).map((m) => m.name), ['iris'])
      assert.equal(await h.blobCount(), before)
      const next = await api.uploadModel({ name: 'iris', source: { path: ONNX }, framework: 'onnx' })
      assert.equal(next.seq, 3)
    })

    it('registers a framework it cannot run with status error', async () => {
      const v = await api.uploadModel({
        name: 'tf-model', source: { path: ONNX }, framework: 'tensorflow',
      })
      assert.equal(v.status, 'error')
      assert.match(v.error_message ?? '', /tensorflow/)
      await assert.rejects(api.infer('tf-model#1', { kind: 'json', value: [{ a: 1 }] }), code('not_ready', /error/))
    })

    it('creates, deploys, infers and undeploys a pipeline', async () => {
      const p = await api.pipelines.create('iris-pipe', [{ ref: 'iris#1' }])
      assert.equal(p.version, 1)
      await assert.rejects(api.pipelines.infer('iris-pipe', { kind: 'json', value: [{ features: ROWS[0] }] }), code('conflict', /not deployed/))
      assert.equal((await api.pipelines.deploy('iris-pipe', { batchMaxRows: 32 })).deployment?.batch_max_rows, 32)
      const result = await api.pipelines.infer('iris-pipe', { kind: 'json', value: ROWS.map((features) => ({ features })) })
      assert.deepEqual(result.schema.fields.map((f) => f.name), ['time', 'in.features', 'out.species_probs', 'anomaly.count'])
      assert.equal(result.numRows, 2)
      await assert.rejects(api.pipelines.create('iris-pipe', [{ ref: 'iris@nope' }]), code('not_found', /step 1: model 'iris' has no tag 'nope'/))
      assert.equal((await api.pipelines.undeploy('iris-pipe')).deployment, null)
      assert.equal(await api.pipelines.isDeployed('iris-pipe'), false)
    })
  })
}
