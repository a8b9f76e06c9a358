import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readInputFile } from '../../src/data/input-file.js'
import { readTable } from '../../src/data/table-input.js'
import { tableToColumnsJson } from '../../src/data/table-output.js'
import { parseSchema } from '../../src/data/schema.js'

const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url))

describe('fixture model inputs parse against their schemas', async () => {
  const cases = (await readdir(MODELS, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  it('finds the fixture cases', () => assert.ok(cases.length >= 5, `found ${cases.length}`))
  for (const name of cases) {
    it(name, async () => {
      const spec = JSON.parse(await readFile(join(MODELS, name, 'case.json'), 'utf8')) as Record<string, unknown>
      const inputSchema = parseSchema(spec.input_schema, 'input schema')
      const raw = JSON.parse(await readFile(join(MODELS, name, 'input.json'), 'utf8')) as { columns: Record<string, unknown[]> }
      const table = await readTable(await readInputFile(join(MODELS, name, 'input.json')), inputSchema)
      const rows = Object.values(raw.columns)[0]!.length
      assert.equal(table.numRows, rows)
      assert.deepEqual(table.schema.fields.map((f) => f.name), inputSchema.map((f) => f.name))
      // float64 inputs come back exactly; float32 inputs come back as the float32 values
      const back = tableToColumnsJson(table).columns
      for (const f of inputSchema) {
        const single = typeof f.type === 'object' && 'list' in f.type && f.type.list === 'float32'
        const want = single ? raw.columns[f.name]!.map((r) => (r as number[]).map((v) => Math.fround(v))) : raw.columns[f.name]
        assert.deepEqual(back[f.name], want, f.name)
      }
      const expected = JSON.parse(await readFile(join(MODELS, name, 'expected.json'), 'utf8')) as unknown
      const outputSchema = parseSchema(spec.output_schema, 'output schema')
      assert.equal((await readTable({ kind: 'json', value: expected }, outputSchema)).numRows, rows)
    })
  }
})
