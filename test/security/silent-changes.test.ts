/**
 * Values that used to be changed silently instead of refused: upload text fields past busboy's
 * field limit (stored cut short with a 201), timestamps past int64 milliseconds (wrapped),
 * float32 inputs past its range (stored as Infinity), integers past their declared type. Each is
 * now a 4xx naming the field (and row) and the limit, through a real `quiver serve` and the
 * embedded app, and nothing already stored changes.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { readTable } from '../../src/data/table-input.js'
import type { ModelSchema } from '../../src/data/schema.js'
import { parseExactJson } from '../../src/data/exact-json.js'
import { errorText, IRIS_ONNX, openDoors, stillServes, type Doors } from './doors.js'

const LIMIT = 1024 * 1024

async function form(fields: Record<string, string>): Promise<RequestInit> {
  const f = new FormData()
  for (const [k, v] of Object.entries(fields)) f.append(k, v)
  f.append('file', new Blob([await readFile(IRIS_ONNX)]), 'model.onnx')
  return { method: 'POST', body: f }
}

const json = (body: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })

describe('values that must not change silently', () => {
  let d: Doors
  before(async () => {
    d = await openDoors()
  })
  after(() => d?.close())

  /** iris is still exactly version 1 with no description, and nothing else exists. */
  async function unchanged(): Promise<void> {
    for (const door of d.doors) {
      const models = (await (await door.request('/v1/models')).json()) as { name: string }[]
      assert.deepEqual(models.map((m) => m.name), ['iris'], door.name)
      const versions = (await (await door.request('/v1/models/iris/versions')).json()) as { seq: number; description: string | null }[]
      assert.deepEqual(versions.map((v) => [v.seq, v.description]), [[1, null]], door.name)
      await stillServes(door)
    }
  }

  const refused: [string, () => Promise<RequestInit> | RequestInit, string, number, RegExp][] = [
    ['a 2 MiB description', () => form({ name: 'big', framework: 'onnx', description: 'd'.repeat(2 * LIMIT) }), '/v1/models', 413,
      /form field 'description': more than 1048576 bytes in one field is past the limit of 1048576 \(set QUIVER_MAX_FIELD_BYTES to change it\)/],
    ['a 2 MiB meta field', () => form({ name: 'big', framework: 'onnx', meta: JSON.stringify({ notes: 'm'.repeat(2 * LIMIT) }) }), '/v1/models', 413,
      /form field 'meta': more than 1048576 bytes in one field is past the limit of 1048576/],
    ['a 2 MiB input_schema field', () => form({ name: 'big', framework: 'onnx', input_schema: JSON.stringify([{ name: 'x'.repeat(2 * LIMIT), type: 'float32' }]) }), '/v1/models', 413,
      /form field 'input_schema': more than 1048576 bytes in one field/],
    ['1e39 into a float32 list on /v1', () => json('[{"features": [1e39, 1, 2, 3]}]'), '/v1/models/iris/infer', 400,
      /field 'features' row 0: expected list of 4 float32, got number 1e\+39 at position 0 \(out of the float32 range\)/],
    ['a 40-digit integer into a float32 list on /v1', () => json(`[{"features": [1, 2, 3, 4]}, {"features": [1, 2, 3, 1${'0'.repeat(39)}]}]`), '/v1/models/iris/infer', 400,
      /field 'features' row 1: expected list of 4 float32, got number 1e\+39 at position 3 \(out of the float32 range\)/],
    ['1e39 into FP32 on /v2', () => json('{"inputs": [{"name": "features", "datatype": "FP32", "shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, -1e39]}]}'), '/v2/models/iris/infer', 400,
      /input 'features' element 7 \(row 1\): expected FP32, got -1e\+39 \(out of the float32 range\)/],
  ]

  for (const [name, init, path, status, message] of refused) {
    it(`${name} → ${status}`, async () => {
      for (const door of d.doors) {
        const res = await door.request(path, await init())
        const text = await errorText(res)
        assert.equal(res.status, status, `${door.name}: ${text}`)
        assert.match(text, message, door.name)
      }
      await unchanged()
    })
  }

  it('the embedded API refuses a description past the limit before storing anything', async () => {
    await assert.rejects(
      d.api.uploadModel({ name: 'big', framework: 'onnx', source: { path: IRIS_ONNX }, description: 'd'.repeat(2 * LIMIT) }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'too_large')
        assert.match(e.message, /field 'description': 2097152 bytes in one field is past the limit of 1048576/)
        return true
      },
    )
    await unchanged()
  })

  it('float32 values that round to the largest float32 are kept, not refused', async () => {
    for (const door of d.doors) {
      const res = await door.request('/v1/models/iris/infer', json('[{"features": [3.4028235e38, 1, 2, 3]}]'))
      assert.equal(res.status, 200, `${door.name}: ${await res.clone().text()}`)
    }
  })

  it('a description just under the limit is stored whole', async () => {
    const description = 'é'.repeat(LIMIT / 2 - 8)
    const door = d.doors[0]!
    const res = await door.request('/v1/models', await form({ name: 'whole', framework: 'onnx', description }))
    assert.equal(res.status, 201, await res.clone().text())
    const stored = (await res.json()) as { description: string }
    assert.equal(stored.description, description)
  })
})

describe('timestamps and integers past their type', () => {
  const ts: ModelSchema = [{ name: 't', type: 'timestamp[ms]', nullable: false }]
  const refuses = async (input: Parameters<typeof readTable>[0], schema: ModelSchema, message: RegExp) => {
    await assert.rejects(readTable(input, schema), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'invalid_input')
      assert.match(e.message, message)
      return true
    })
  }

  it('timestamps past int64 milliseconds or 1e300 are refused naming field and row', async () => {
    const range = /out of the timestamp\[ms\] range \(int64 milliseconds/
    await refuses({ kind: 'json', value: parseExactJson('[{"t": 0}, {"t": 1e300}]') }, ts, /field 't' row 1: expected timestamp\[ms\], got number 1e\+300 \(out of the timestamp\[ms\] range/)
    await refuses({ kind: 'json', value: parseExactJson('[{"t": 9223372036854775808}]') }, ts, /field 't' row 0: expected timestamp\[ms\], got 9223372036854775808/)
    await refuses({ kind: 'json', value: [{ t: '-9223372036854775809' }] }, ts, range)
    await refuses({ kind: 'csv', text: 't\n1\n2\n99999999999999999999\n' }, ts, /field 't' row 2: .*99999999999999999999 \(out of the timestamp\[ms\] range/)
    await refuses({ kind: 'json', value: [{ t: 2 ** 60 }] }, ts, /not exact; send timestamps that large as digit strings/)
    const edge = await readTable({ kind: 'json', value: [{ t: '9223372036854775807' }] }, ts)
    assert.equal(edge.getChild('t')!.data[0]!.values[0], 9223372036854775807n)
  })

  it('integers outside the declared type are refused naming field and row', async () => {
    const cases: [string, string, RegExp][] = [
      ['int8', '[{"x": 1}, {"x": 300}]', /field 'x' row 1: expected int8, got 300 \(out of the int8 range -128\.\.127\)/],
      ['uint64', '[{"x": -1}]', /field 'x' row 0: expected uint64, got -1 \(out of the uint64 range/],
      ['int64', '[{"x": 9223372036854775808}]', /field 'x' row 0: expected int64, got 9223372036854775808 \(out of the int64 range/],
      ['int32', '[{"x": 1e300}]', /field 'x' row 0: expected int32, got 1e\+300 \(out of the int32 range/],
    ]
    for (const [type, text, message] of cases) {
      await refuses({ kind: 'json', value: parseExactJson(text) }, [{ name: 'x', type: type as 'int8', nullable: false }], message)
    }
  })
})
