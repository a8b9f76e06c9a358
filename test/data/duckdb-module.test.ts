import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { readTable } from '../../src/data/table-input.js'
import { tableToRecordsJson, writeTable } from '../../src/data/table-output.js'
import { parseSchema } from '../../src/data/schema.js'
import { inputLimits } from '../../src/data/input-limits.js'
import { queryTable } from '../../src/data/duckdb/arrow-query.js'
import { readParquetBytes, streamParquetFile, writeArrowFile, writeParquetBytes } from '../../src/data/duckdb/files.js'

describe('the DuckDB module', () => {
  it('leaves the temporary folder empty after reading and writing Parquet bodies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-tmpcheck-'))
    const saved = process.env.TMPDIR
    process.env.TMPDIR = dir
    try {
      const schema = parseSchema([{ name: 'x', type: 'float64' }, { name: 's', type: 'string' }])
      const t = await readTable({ kind: 'json', value: [{ x: 1.5, s: 'a' }, { x: 2, s: 'a string longer than twelve bytes' }] }, schema)
      const bytes = await writeTable(t, 'parquet')
      const back = await readTable({ kind: 'parquet', bytes }, schema)
      assert.deepEqual(tableToRecordsJson(back), tableToRecordsJson(t))
      await assert.rejects(readTable({ kind: 'parquet', bytes: new TextEncoder().encode('PAR1 nope') }, schema))
      assert.deepEqual(await readdir(dir), [])
    } finally {
      if (saved === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = saved
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reads many Parquet bodies at once, each from its own unnamed file', async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, (_, k) =>
      writeParquetBytes(arrow.tableFromArrays({ x: Float64Array.from({ length: 3000 + k }, (_, i) => i + k * 1e6) }))))
    for (let round = 0; round < 3; round++) {
      const tables = await Promise.all(bodies.map((b) => readParquetBytes(b, inputLimits())))
      tables.forEach((t, k) => {
        assert.equal(t.numRows, 3000 + k)
        assert.equal(t.getChild('x')!.get(0), k * 1e6)
        assert.equal(t.getChild('x')!.get(2999 + k), 2999 + k + k * 1e6)
      })
    }
  })

  it('reads query results into typed arrays with nulls, long strings, lists and structs', async () => {
    const t = await queryTable(`SELECT i::INTEGER AS i, CASE WHEN i % 2 = 0 THEN NULL ELSE i * 0.5 END AS h,
      repeat('z', i::INTEGER) AS s, [i, i + 1]::FLOAT[2] AS a, CASE WHEN i = 3 THEN NULL ELSE range(i::INTEGER) END AS l,
      {'p': i, 'q': 'x' || i} AS st, i % 3 = 0 AS b, TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS ts, 1.25::DECIMAL(5,2) AS d
      FROM range(5) t(i)`)
    assert.ok(t.getChild('i')!.data[0]!.values instanceof Int32Array)
    assert.ok(t.getChild('h')!.data[0]!.values instanceof Float64Array)
    const rows = t.toArray().map((r) => r.toJSON())
    assert.equal(rows[4].s, 'zzzz')
    assert.equal(t.getChild('s')!.get(0), '')
    assert.equal(rows[2].h, null)
    assert.equal(rows[3].h, 1.5)
    assert.deepEqual(Array.from(rows[2].a), [2, 3])
    assert.deepEqual(Array.from(rows[4].l), [0n, 1n, 2n, 3n])
    assert.equal(rows[3].l, null)
    assert.equal(rows[1].st.toJSON().q, 'x1')
    assert.deepEqual(rows.map((r) => r.b), [true, false, false, true, false])
    assert.equal(t.getChild('ts')!.get(2), Date.UTC(2024, 0, 1, 0, 0, 2))
    assert.equal(rows[0].d, 1.25)
  })

  it('reads null rows of string and list columns as nulls, whatever their unwritten entries hold', async () => {
    for (let k = 0; k < 5; k++) {
      const t = await queryTable(`SELECT CASE WHEN i % 2 = 0 THEN NULL ELSE repeat('long text ', 3) || i END AS s,
        CASE WHEN i % 3 = 0 THEN NULL ELSE [i, i] END AS l FROM range(20000) t(i)`)
      const s = t.getChild('s')!
      assert.equal(s.nullCount, 10000)
      assert.equal(s.get(19999), 'long text long text long text 19999')
      assert.equal(t.getChild('l')!.get(3), null)
      assert.deepEqual(Array.from(t.getChild('l')!.get(4) as ArrayLike<bigint>), [4n, 4n])
    }
  })

  it('copies fixed-width columns into whole batches with their nulls where they were, whatever the batch size', async () => {
    // Chunks of 1,001 rows then 2,048: validity copied at rows that do not start a byte.
    const part = (from: number, to: number) => `SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.5 END AS x,
      CASE WHEN i % 7 = 0 THEN NULL ELSE i::INTEGER END AS k, i::BIGINT AS b FROM range(${from}, ${to}) t(i)`
    const sql = `${part(0, 1001)} UNION ALL ${part(1001, 2002)} UNION ALL ${part(2002, 10000)}`
    for (const batchRows of [3000, 65536]) {
      const t = await queryTable(sql, { batchRows })
      assert.equal(t.numRows, 10000)
      if (batchRows === 65536) assert.equal(t.batches.length, 1)
      const x = t.getChild('x')!
      const k = t.getChild('k')!
      assert.equal(x.nullCount, 3334)
      assert.equal(k.nullCount, 1429)
      for (let i = 0; i < 10000; i++) {
        assert.equal(x.get(i), i % 3 === 0 ? null : i * 0.5, `x row ${i}, batches of ${batchRows}`)
        assert.equal(k.get(i), i % 7 === 0 ? null : i, `k row ${i}, batches of ${batchRows}`)
        assert.equal(t.getChild('b')!.get(i), BigInt(i))
      }
    }
  })

  it('reads a Parquet body of odd-sized row groups into whole columns, nulls at unaligned rows kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-groups-'))
    try {
      const path = join(dir, 'groups.parquet')
      await queryTable(`COPY (SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.25 END AS x FROM range(5000) t(i)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1001)`)
      const t = await readParquetBytes(new Uint8Array(await readFile(path)), inputLimits())
      assert.equal(t.batches.length, 1)
      const x = t.getChild('x')!
      assert.equal(x.nullCount, 1000)
      for (let i = 0; i < 5000; i++) assert.equal(x.get(i), i % 5 === 0 ? null : i * 0.25, `row ${i}`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('streams a large file as record batches, counting rows against the limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-stream-'))
    try {
      const path = join(dir, 'big.parquet')
      const big = await queryTable('SELECT i::DOUBLE AS x FROM range(200000) t(i)')
      await writeArrowFile(big, path, 'parquet')
      const sizes: number[] = []
      let sum = 0
      await streamParquetFile(path, inputLimits(), (b) => {
        sizes.push(b.numRows)
        for (const v of b.getChildAt(0)!.toArray() as Float64Array) sum += v
      })
      assert.ok(sizes.length > 1, `${sizes.length} batches`)
      assert.equal(sizes.reduce((a, b) => a + b, 0), 200000)
      assert.equal(sum, (199999 * 200000) / 2)
      await assert.rejects(streamParquetFile(path, { ...inputLimits(), maxRows: 1000 }, () => {}), /past the limit of 1000/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('writes fixed-width columns whose nulls lie in some windows only, each window with its own nulls', async () => {
    const rows = 7000
    const x = arrow.makeVector(Float64Array.from({ length: rows }, (_, i) => i * 0.5))
    const valid = new Uint8Array(Math.ceil(rows / 8)).fill(0xff)
    for (let i = 0; i < 100; i++) valid[i >> 3]! &= ~(1 << (i & 7))
    const withNulls = arrow.makeData({ type: new arrow.Float64(), length: rows, nullCount: 100, nullBitmap: valid, data: x.data[0]!.values })
    const t = new arrow.Table({ x: arrow.makeVector(withNulls), k: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i)) })
    const back = await readParquetBytes(await writeParquetBytes(t), inputLimits())
    assert.equal(back.getChild('x')!.nullCount, 100)
    assert.equal(back.getChild('x')!.get(99), null)
    assert.equal(back.getChild('x')!.get(100), 50)
    assert.equal(back.getChild('x')!.get(2048 + 5), (2048 + 5) * 0.5)
    assert.equal(back.getChild('k')!.get(rows - 1), rows - 1)
  })

  it('writes Arrow with nulls, lists and strings columnar and reads it back equal', async () => {
    const t = arrow.tableFromArrays({ x: Float32Array.from([1, 2, 3]), s: ['a', 'bbbbbbbbbbbbbbbbbbbb', 'c'] })
    const dir = await mkdtemp(join(tmpdir(), 'quiver-write-'))
    try {
      const path = join(dir, 'o.parquet')
      await writeArrowFile(t, path, 'parquet')
      const back = await queryTable(`SELECT * FROM read_parquet('${path}')`)
      assert.deepEqual(back.toArray().map((r) => r.toJSON()), t.toArray().map((r) => r.toJSON()))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('large CSV bodies through DuckDB', () => {
  const schema = parseSchema([
    { name: 'i', type: 'int64' }, { name: 'x', type: 'float32' }, { name: 'ok', type: 'bool' }, { name: 's', type: 'string' },
  ])
  const rows = 20000
  const body = (cell: (k: number) => string) => `s,i,x,ok\n${Array.from({ length: rows }, (_, k) => cell(k)).join('\n')}\n`
  const good = (k: number) => `${k % 3 === 0 ? '""' : k % 3 === 1 ? '' : `"a,${k}"`},${k - 5},${k / 7}, ${k % 2 === 0 ? 'TRUE' : '0'}`

  it('reads them with the same values, nulls and empty strings as the RFC 4180 parser', async () => {
    const text = body(good)
    assert.ok(text.length > 256 * 1024)
    const t = await readTable({ kind: 'csv', text }, schema, { nullsAllowed: true })
    const records = tableToRecordsJson(t)
    assert.equal(records.length, rows)
    const want = (k: number) => ({ i: k - 5, x: Math.fround(k / 7), ok: k % 2 === 0, s: k % 3 === 0 ? '' : k % 3 === 1 ? null : `a,${k}` })
    for (const k of [0, 1, 2, 3, 7777, rows - 1]) assert.deepEqual(records[k], want(k), `row ${k}`)
    const small = await readTable({ kind: 'csv', text: `s,i,x,ok\n${[0, 1, 2, 7777].map(good).join('\n')}\n` }, schema, { nullsAllowed: true })
    assert.deepEqual(tableToRecordsJson(small), [0, 1, 2, 7777].map((k) => records[k]))
  })

  it('refuses a bad cell naming its row and field, as the RFC 4180 parser does', async () => {
    const bad = body((k) => (k === 12345 ? `x,1.5,2,true` : good(k)))
    await assert.rejects(readTable({ kind: 'csv', text: bad }, schema, { nullsAllowed: true }), (err: Error) => /row 12345/.test(err.message) && /'i'/.test(err.message))
    const hex = body((k) => (k === 999 ? `x,0x10,2,true` : good(k)))
    await assert.rejects(readTable({ kind: 'csv', text: hex }, schema, { nullsAllowed: true }), /row 999/)
    const nulls = body(good)
    await assert.rejects(readTable({ kind: 'csv', text: nulls }, schema), /row 1/)
  })

  it('reads floats-only bodies as DuckDB doubles, leaving to the RFC 4180 parser every spelling it alone decides', async () => {
    const floats = parseSchema([{ name: 'a', type: 'float64' }, { name: 'b', type: 'float32' }])
    const line = (k: number) => `${k * 0.5},${k / 3}`
    const big = (k: number, cell: string) => `a,b\n${Array.from({ length: rows }, (_, i) => (i === k ? `${cell},1` : line(i))).join('\n')}\n`
    const plain = await readTable({ kind: 'csv', text: big(-1, '') }, floats)
    assert.deepEqual(tableToRecordsJson(plain)[777], { a: 388.5, b: Math.fround(777 / 3) })
    for (const cell of ['1_000', 'inf', 'nan', 'Infinity', '0x10', ' 2.5 ']) {
      const small = await readTable({ kind: 'csv', text: `a,b\n${cell},1\n` }, floats).then(tableToRecordsJson, (err: Error) => err)
      const large = await readTable({ kind: 'csv', text: big(4321, cell) }, floats).then(tableToRecordsJson, (err: Error) => err)
      if (small instanceof Error) {
        assert.ok(large instanceof Error, `${cell}: refused alone, accepted in a large body`)
        assert.equal(large.message, small.message.replace('row 0', 'row 4321'), cell)
      } else {
        assert.ok(!(large instanceof Error), `${cell}: ${String(large)}`)
        assert.deepEqual(large[4321], small[0], cell)
      }
    }
    // Blank lines between records are skipped, as the RFC 4180 parser skips them.
    const blank = await readTable({ kind: 'csv', text: big(-1, '').replace('\n3,', '\n\n3,') }, floats)
    assert.equal(blank.numRows, rows)
  })
})
