import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { readTable } from '../../src/data/table-input.js'
import { tableToColumnsJson, tableToRecordsJson, writeTable } from '../../src/data/table-output.js'
import { buildResultTable } from '../../src/data/result-table.js'
import { fromArrowSchema, parseSchema } from '../../src/data/schema.js'
import { isQuiverError } from '../../src/errors.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

const SCHEMA = parseSchema([
  { name: 'id', type: 'int64' }, { name: 'when', type: 'timestamp[ms]' }, { name: 'raw', type: 'binary' },
  { name: 'v', type: { list: 'float32', size: 2 } }, { name: 'note', type: 'string' },
])

async function sample(): Promise<arrow.Table> {
  return readTable({
    kind: 'json',
    value: { columns: {
      id: [9007199254740991, '9007199254740992'], when: [0, '2024-02-29T12:00:00Z'], raw: ['AP8=', ''],
      v: [[0.1, 'NaN'], ['-Infinity', 2]], note: ['a "b", c', null],
    } },
  }, SCHEMA, { nullsAllowed: true })
}

describe('writeTable and the JSON spellings', () => {
  it('spells values JSON-safely, the same way in records and columns', async () => {
    const t = await sample()
    const columns = {
      id: [9007199254740991, '9007199254740992'], when: ['1970-01-01T00:00:00.000Z', '2024-02-29T12:00:00.000Z'],
      raw: ['AP8=', ''], v: [[0.10000000149011612, 'NaN'], ['-Infinity', 2]], note: ['a "b", c', null],
    }
    assert.deepEqual(tableToColumnsJson(t), { columns })
    assert.deepEqual(tableToRecordsJson(t), [0, 1].map((i) => Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, c[i]]))))
    assert.deepEqual(JSON.parse(text(await writeTable(t, 'columns'))), { columns })
    assert.deepEqual(JSON.parse(text(await writeTable(t, 'records'))), tableToRecordsJson(t))
  })

  it('writes an Arrow IPC stream', async () => {
    const t = await sample()
    const bytes = await writeTable(t, 'arrow')
    assert.notEqual(Buffer.from(bytes.subarray(0, 6)).toString('latin1'), 'ARROW1', 'a stream, not the file format')
    const back = arrow.tableFromIPC(bytes)
    assert.deepEqual(tableToColumnsJson(back), tableToColumnsJson(t))
  })

  it('writes CSV with a header, quoted text and list cells as JSON', async () => {
    const csv = text(await writeTable(await sample(), 'csv'))
    assert.equal(csv, [
      'id,when,raw,v,note',
      '9007199254740991,1970-01-01T00:00:00.000Z,AP8=,"[0.10000000149011612,""NaN""]","a ""b"", c"',
      '9007199254740992,2024-02-29T12:00:00.000Z,"","[""-Infinity"",2]",',
      '',
    ].join('\n'))
    const back = await readTable({ kind: 'csv', text: csv }, SCHEMA, { nullsAllowed: true })
    assert.deepEqual(tableToColumnsJson(back), tableToColumnsJson(await sample()))
  })

  it('writes a result table to Parquet and reads it back with its lists, struct-free names and types intact', async () => {
    const input = await readTable({ kind: 'json', value: { columns: { features: [[1, 2, 3, 4], [5, 6, 7, 8.5]] } } },
      parseSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }]))
    const output = await readTable({ kind: 'json', value: { columns: { probs: [[0.25, 0.75], [1, 0]], label: [1, 0], tags: [['x'], []] } } },
      parseSchema([{ name: 'probs', type: { list: 'float64', size: 2 } }, { name: 'label', type: 'int64' }, { name: 'tags', type: { list: 'string', size: null } }]))
    const result = buildResultTable({ time: new Date('2025-01-01T00:00:00Z'), input, output })
    const parquet = await writeTable(result, 'parquet')
    assert.equal(Buffer.from(parquet.subarray(0, 4)).toString('latin1'), 'PAR1')
    const back = await readTable({ kind: 'parquet', bytes: parquet }, fromArrowSchema(result.schema))
    assert.deepEqual(back.schema.fields.map((x) => [x.name, String(x.type)]), result.schema.fields.map((x) => [x.name, String(x.type)]))
    assert.deepEqual(tableToRecordsJson(back), tableToRecordsJson(result))
  })

  it('writes dictionary-encoded text to Parquet as plain strings', async () => {
    const t = new arrow.Table({ s: arrow.vectorFromArray(['a', 'b', 'a']) })
    const back = await readTable({ kind: 'parquet', bytes: await writeTable(t, 'parquet') }, parseSchema([{ name: 's', type: 'string' }]))
    assert.deepEqual(tableToColumnsJson(back).columns.s, ['a', 'b', 'a'])
  })

  it('refuses an unknown format', async () => {
    await assert.rejects(writeTable(await sample(), 'xml' as never), (e: unknown) => isQuiverError(e) && /unknown output format "xml"/.test(e.message))
  })
})
