/**
 * The offline bench's units of work, each beside its floor (DuckDB, or bare onnxruntime, doing the
 * same work alone). Run in process for throughput and in a child (`peak-rss.ts`) for peak RSS.
 */
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import * as arrow from 'apache-arrow'
import { withConnection, withOwnConnection } from '../../src/data/duckdb/database.js'
import { streamParquetFile, writeArrowFile } from '../../src/data/duckdb/files.js'
import { queryTable } from '../../src/data/duckdb/arrow-query.js'
import { conformTable } from '../../src/data/arrow-conform.js'
import { inputLimits } from '../../src/data/input-limits.js'
import { readTable } from '../../src/data/table-input.js'
import { writeTable } from '../../src/data/table-output.js'
import { parseSchema } from '../../src/data/schema.js'
import { buildOnnxModel } from '../../test/fixtures/onnx/build-onnx.js'

export const WIDE = parseSchema(Array.from({ length: 10 }, (_, k) => ({ name: `c${k}`, type: 'float64', nullable: false })))
const wideSelect = (rows: number) => `SELECT ${Array.from({ length: 10 }, (_, k) => `(i * ${k + 1} + 0.5)::DOUBLE AS c${k}`).join(', ')} FROM range(${rows}) t(i)`

export const duck = (sql: string) => withConnection((c) => c.run(sql).then(() => undefined))

/** Writes the 10 × float64 Parquet file (and its CSV twin) of `rows` rows. */
export async function makeWide(dir: string, rows: number): Promise<{ parquet: string; csv: string }> {
  const parquet = join(dir, `wide-${rows}.parquet`)
  const csv = join(dir, `wide-${rows}.csv`)
  await duck(`COPY (${wideSelect(rows)}) TO '${parquet}' (FORMAT parquet)`)
  await duck(`COPY (${wideSelect(rows)}) TO '${csv}' (FORMAT csv, HEADER true)`)
  return { parquet, csv }
}

/** Quiver: Parquet file → validated Arrow table of the schema. */
export async function parquetToArrow(path: string): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = []
  const schema = await streamParquetFile(path, inputLimits(), (b) => { batches.push(b) })
  return conformTable(new arrow.Table(schema, batches), WIDE, false)
}

/** Quiver: a Parquet request body → validated Arrow table of the schema (the request path: the body handed to DuckDB in RAM, whole columns). */
export function parquetBodyToArrow(bytes: Uint8Array): Promise<arrow.Table> {
  return readTable({ kind: 'parquet', bytes }, WIDE)
}

/** Floor: DuckDB reading the same file, every chunk fetched, nothing converted. */
export function duckdbReadAlone(sql: string): Promise<number> {
  return withOwnConnection(async (c) => {
    const r = await c.stream(sql)
    let n = 0
    for (;;) {
      const chunk = await r.fetchChunk()
      if (!chunk || chunk.rowCount === 0) return n
      n += chunk.rowCount
    }
  })
}

/** Quiver: CSV body → validated Arrow table (the request path). */
export function csvToArrow(text: string): Promise<arrow.Table> {
  return readTable({ kind: 'csv', text }, WIDE)
}

/** Quiver: a result table → CSV bytes (the `--output-format csv` and HTTP path). */
export const tableToCsvBytes = (t: arrow.Table) => writeTable(t, 'csv')

export const writeParquetFile = (t: arrow.Table, path: string) => writeArrowFile(t, path, 'parquet')

/** Floor: DuckDB writing a table it already holds. */
export async function duckdbWriteAlone(table: string, path: string): Promise<void> {
  await duck(`COPY ${table} TO '${path}' (FORMAT parquet)`)
}

export { queryTable }

/** A small ONNX model: score = 0.5·a + 0.25·b + 0.001·c over a [N, 3] float32 input. */
export async function writeScoreModel(path: string): Promise<void> {
  await writeFile(path, buildOnnxModel({
    name: 'score',
    inputs: [{ name: 'inputs', type: 'float32', shape: ['batch', 3] }],
    outputs: [{ name: 'score', type: 'float32', shape: ['batch'] }],
    initializers: [{ name: 'w', type: 'float32', dims: [3], values: [0.5, 0.25, 0.001] }, { name: 'axis1', type: 'int64', dims: [1], values: [1] }],
    nodes: [
      { op: 'Mul', inputs: ['inputs', 'w'], outputs: ['weighted'] },
      { op: 'ReduceSum', inputs: ['weighted', 'axis1'], outputs: ['score'], attrs: { keepdims: 0 } },
    ],
  }))
}

/** Feature source of `entities × perEntity` rows and a spine of `spineRows` rows at random times. */
export async function makePointInTime(dir: string, entities: number, perEntity: number, spineRows: number): Promise<{ source: string; spine: string }> {
  const source = join(dir, `feats-${entities * perEntity}.parquet`)
  const spine = join(dir, `spine-${spineRows}.parquet`)
  await duck(`COPY (SELECT (i % ${entities})::BIGINT AS user_id, TIMESTAMP '2024-01-01' + to_seconds((i // ${entities}) * 3600 + (hash(i) % 600)::BIGINT) AS ts,
    (i * 0.5)::DOUBLE AS f1, (i % 97)::DOUBLE AS f2 FROM range(${entities * perEntity}) t(i)) TO '${source}' (FORMAT parquet)`)
  await duck(`COPY (SELECT (hash(i) % ${entities})::BIGINT AS user_id, TIMESTAMP '2024-01-01' + to_seconds((hash(i * 7) % ${perEntity * 3600})::BIGINT) AS ts,
    (i % 2)::INTEGER AS label FROM range(${spineRows}) t(i)) TO '${spine}' (FORMAT parquet)`)
  return { source, spine }
}

/** Floor: DuckDB's ASOF JOIN alone, spine order kept, written to Parquet. */
export async function asofAlone(source: string, spine: string, out: string): Promise<void> {
  await duck(`COPY (WITH sp AS (SELECT *, row_number() OVER () AS r FROM read_parquet('${spine}'))
    SELECT sp.* EXCLUDE (r), f.f1 AS "users.f1", f.f2 AS "users.f2" FROM sp ASOF LEFT JOIN read_parquet('${source}') f
    ON sp.user_id = f.user_id AND sp.ts >= f.ts ORDER BY sp.r) TO '${out}' (FORMAT parquet)`)
}
