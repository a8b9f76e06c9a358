/**
 * Every shared model fixture through a real `quiver serve` process: uploaded with the SDK, then
 * inferred over REST JSON, REST Arrow IPC and the Open Inference Protocol; each door must give
 * the library's reference outputs (as the embedded CLI does in cli-fixtures.test.ts).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { Quiver } from '../../src/client/index.js'
import { parseSchema, isListType, type ModelSchema } from '../../src/data/schema.js'
import { readTable } from '../../src/data/table-input.js'
import { tableToColumnsJson } from '../../src/data/table-output.js'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { serve, type Served } from '../helpers/serve.js'
import { modelCases, type ModelCase } from '../helpers/fixtures.js'

const V2_DATATYPE: Record<string, string> = {
  bool: 'BOOL', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16',
  uint32: 'UINT32', uint64: 'UINT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
}

/** A V2 request: one tensor per input field, rows on the first axis. */
function v2Request(c: ModelCase, schema: ModelSchema) {
  return {
    inputs: schema.map((f) => {
      const values = c.input.columns[f.name]!
      const item = isListType(f.type) ? f.type : null
      return {
        name: f.name,
        shape: item ? [values.length, item.size] : [values.length],
        datatype: V2_DATATYPE[String(item ? item.list : f.type)],
        data: values.flat(),
      }
    }),
  }
}

/** V2 output tensors back to rows: `[rows, n]` → arrays of n, `[rows]` → scalars. */
function v2Columns(outputs: { name: string; shape: number[]; data: unknown[] }[]): Record<string, unknown[]> {
  const columns: Record<string, unknown[]> = {}
  for (const o of outputs) {
    const width = o.shape.slice(1).reduce((a, b) => a * b, 1)
    columns[o.name] = o.shape.length === 1 ? o.data : Array.from({ length: o.shape[0]! }, (_, r) => o.data.slice(r * width, (r + 1) * width))
  }
  return columns
}

describe('shared model fixtures through quiver serve', () => {
  let server: Served
  let quiver: Quiver
  let home: string
  before(async () => {
    home = await makeTemp()
    server = await serve(home, ['--log-level', 'error'])
    quiver = new Quiver({ url: server.url })
  })
  after(async () => {
    server?.child.kill('SIGTERM')
    if (server && server.child.exitCode === null) await new Promise((r) => server.child.once('exit', r))
    await removeTemp(home)
  })

  for (const c of modelCases()) {
    it(`${c.name} (${c.framework}) gives its reference outputs over REST JSON, REST Arrow and V2`, async () => {
      const inputSchema = parseSchema(c.input_schema)
      const v = await quiver.uploadModel(c.name, join(c.dir, c.artifact), {
        framework: c.framework as never,
        ...(c.framework === 'onnx' ? {} : { inputSchema, outputSchema: parseSchema(c.output_schema) }),
      }).catch((err) => {
        throw new Error(`${err.message}; server said: ${server.stderr().slice(-2000)}`)
      })
      assert.equal(v.status, 'ready', v.error_message ?? '')
      const expectOutputs = (columns: Record<string, unknown[]>, door: string, prefix: string) => {
        for (const [field, values] of Object.entries(c.expected.columns)) {
          assertClose(columns[`${prefix}${field}`], values, c.tolerance, `${door} ${field}`)
        }
      }

      const json = await fetch(`${server.url}/v1/models/${c.name}/infer?format=columns`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.input),
      })
      assert.equal(json.status, 200, await json.clone().text())
      expectOutputs(((await json.json()) as { columns: Record<string, unknown[]> }).columns, 'REST JSON', 'out.')

      const table = await readTable({ kind: 'json', value: c.input }, inputSchema, { nullsAllowed: true })
      const arrow = await fetch(`${server.url}/v1/models/${c.name}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.apache.arrow.stream', accept: 'application/vnd.apache.arrow.stream' },
        body: Buffer.from(tableToIPC(table, 'stream')),
      })
      assert.equal(arrow.status, 200, await arrow.clone().text())
      expectOutputs(tableToColumnsJson(tableFromIPC(new Uint8Array(await arrow.arrayBuffer()))).columns, 'REST Arrow', 'out.')

      const v2 = await fetch(`${server.url}/v2/models/${c.name}/infer`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v2Request(c, inputSchema)),
      })
      assert.equal(v2.status, 200, await v2.clone().text())
      const body = (await v2.json()) as { model_name: string; outputs: { name: string; shape: number[]; data: unknown[] }[] }
      assert.equal(body.model_name, c.name)
      expectOutputs(v2Columns(body.outputs), 'V2', '')
    })
  }
})
