import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { readInputFile } from '../../src/data/input-file.js'
import { readTable } from '../../src/data/table-input.js'
import { tableToRecordsJson, writeTable } from '../../src/data/table-output.js'
import { parseSchema } from '../../src/data/schema.js'
import { isQuiverError } from '../../src/errors.js'

const SCHEMA = parseSchema([{ name: 'x', type: 'float64' }, { name: 'label', type: 'string' }])
const ROWS = [{ x: 1.5, label: 'a' }, { x: -2, label: 'b, c' }]

describe('readInputFile', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'quiver-input-file-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('chooses the form by extension and every form parses to the same table', async () => {
    const table = await readTable({ kind: 'json', value: ROWS }, SCHEMA)
    const files: [string, string | Uint8Array, string][] = [
      ['in.json', JSON.stringify(ROWS), 'json'],
      ['in.JSON', JSON.stringify({ columns: { x: [1.5, -2], label: ['a', 'b, c'] } }), 'json'],
      ['in.jsonl', `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`, 'json'],
      ['in.arrow', arrow.tableToIPC(table, 'file'), 'arrow'],
      ['in.arrows', arrow.tableToIPC(table, 'stream'), 'arrow'],
      ['in.ipc', arrow.tableToIPC(table, 'stream'), 'arrow'],
      ['in.feather', arrow.tableToIPC(table, 'file'), 'arrow'],
      ['in.parquet', await writeTable(table, 'parquet'), 'parquet'],
      ['in.csv', 'x,label\n1.5,a\n-2,"b, c"\n', 'csv'],
    ]
    for (const [name, body, kind] of files) {
      const path = join(dir, name)
      await writeFile(path, body)
      const input = await readInputFile(path)
      assert.equal(input.kind, kind, name)
      assert.deepEqual(tableToRecordsJson(await readTable(input, SCHEMA)), ROWS, name)
    }
  })

  it('refuses an unknown extension, invalid JSON and a missing file with clear messages', async () => {
    const bad = join(dir, 'x.json')
    await writeFile(bad, '{"columns": ')
    await assert.rejects(readInputFile(bad), (e: unknown) =>
      isQuiverError(e) && e.code === 'invalid_input' && /^input file x\.json is not valid JSON: .+/.test(e.message))
    await writeFile(join(dir, 'data.xlsx'), 'nope')
    await assert.rejects(readInputFile(join(dir, 'data.xlsx')), (e: unknown) =>
      isQuiverError(e) && e.message.startsWith("input file data.xlsx has unknown extension '.xlsx'; known: .json"))
    await assert.rejects(readInputFile(join(dir, 'absent.csv')), (e: unknown) =>
      isQuiverError(e) && e.code === 'invalid_input' && /absent\.csv does not exist$/.test(e.message))
    await mkdir(join(dir, 'folder.json'))
    await assert.rejects(readInputFile(join(dir, 'folder.json')), (e: unknown) => isQuiverError(e) && /is a folder$/.test(e.message))
    await writeFile(join(dir, 'lines.ndjson'), '{"x": 1}\n{oops}\n')
    await assert.rejects(readInputFile(join(dir, 'lines.ndjson')), (e: unknown) =>
      isQuiverError(e) && /^input file lines\.ndjson line 2 is not valid JSON: /.test(e.message))
  })
})
