/**
 * Arrow IPC streams that lie about themselves, built from a valid iris stream by rewriting its
 * record batch header (row count, field node lengths, buffer offsets and lengths), or by writing
 * Data whose buffers disagree with its lengths.
 */
import * as arrow from 'apache-arrow'

/** The column a stream carries: iris's `features` list<float32>[4] unless told otherwise. */
export interface ListColumn {
  name: string
  float64: boolean
}
const IRIS: ListColumn = { name: 'features', float64: false }

/** A valid stream of `rows` rows of one list<float>[4] column (values that never spell a small int64). */
export function irisStream(rows: number, column: ListColumn = IRIS): Uint8Array {
  const values = column.float64 ? new Float64Array(rows * 4) : new Float32Array(rows * 4)
  for (let i = 0; i < values.length; i++) values[i] = 0.5 + (i % 50) / 10
  const item = column.float64 ? new arrow.Float64() : new arrow.Float32()
  const field = new arrow.Field(column.name, new arrow.FixedSizeList(4, new arrow.Field('item', item, false)), false)
  const schema = new arrow.Schema([field])
  const child = arrow.makeData({ type: item as arrow.Float, length: rows * 4, nullCount: 0, data: values })
  const col = arrow.makeData({ type: field.type as arrow.FixedSizeList, length: rows, nullCount: 0, child })
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children: [col] })
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, struct)]), 'stream')
}

/** Byte range of the `n`th message's flatbuffer metadata in an IPC stream. */
function messageMetadata(bytes: Uint8Array, n: number): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  for (let k = 0; ; k++) {
    if (view.getUint32(at, true) !== 0xffffffff) throw new Error('not an IPC stream with continuation markers')
    const len = view.getInt32(at + 4, true)
    const start = at + 8
    if (k === n) return [start, start + len]
    // The body length sits in the Message table; for the schema message (n = 0) it is 0.
    at = start + len
  }
}

/** Rewrites every little-endian int64 `from` inside the record batch's header to `to`. */
export function rewriteBatchHeader(bytes: Uint8Array, pairs: [bigint, bigint][]): Uint8Array {
  const out = new Uint8Array(bytes)
  const [start, end] = messageMetadata(out, 1)
  const view = new DataView(out.buffer)
  let hits = 0
  for (const [from, to] of pairs) {
    for (let i = start; i + 8 <= end; i += 1) {
      if (view.getBigInt64(i, true) === from) {
        view.setBigInt64(i, to, true)
        hits++
        i += 7
      }
    }
  }
  if (hits === 0) throw new Error('nothing to rewrite in the record batch header')
  return out
}

/** A batch declaring `claimed` rows (and `claimed × 4` values) over the data of a `real`-row batch. */
export function claimsRows(real: number, claimed: bigint, column: ListColumn = IRIS): Uint8Array {
  return rewriteBatchHeader(irisStream(real, column), [[BigInt(real * 4), claimed * 4n], [BigInt(real), claimed]])
}

/** Rewrites the offset or the length of the first buffer (offset, length) pair whose length is `length` and offset 0. */
function rewriteBuffer(bytes: Uint8Array, length: bigint, which: 'offset' | 'length', to: bigint): Uint8Array {
  const out = new Uint8Array(bytes)
  const [start, end] = messageMetadata(out, 1)
  const view = new DataView(out.buffer)
  for (let i = start + 8; i + 8 <= end; i++) {
    if (view.getBigInt64(i, true) === length && view.getBigInt64(i - 8, true) === 0n) {
      view.setBigInt64(which === 'offset' ? i - 8 : i, to, true)
      return out
    }
  }
  throw new Error(`no buffer of ${length} bytes at offset 0 in the record batch header`)
}

/** The values buffer moved past the end of the body (its offset, or its length). */
export function bufferBeyondBody(rows: number, which: 'offset' | 'length'): Uint8Array {
  return rewriteBuffer(irisStream(rows), BigInt(rows * 16), which, which === 'offset' ? 1n << 40n : 1n << 30n)
}

/** A valid stream of one nullable string column of `rows` rows, one of them null. */
function stringStream(rows: number, valueOffsets?: Int32Array): Uint8Array {
  const schema = new arrow.Schema([new arrow.Field('s', new arrow.Utf8(), true)])
  const values = new TextEncoder().encode('x'.repeat(rows))
  const offsets = valueOffsets ?? Int32Array.from({ length: rows + 1 }, (_, i) => i)
  const nullBitmap = new Uint8Array(Math.ceil(rows / 8)).fill(0xff)
  nullBitmap[0] = 0xfe
  const data = arrow.makeData({ type: new arrow.Utf8(), length: rows, nullCount: 1, nullBitmap, valueOffsets: offsets, data: values })
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children: [data] })
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, struct)]), 'stream')
}

/**
 * A nullable string column whose validity buffer is 1 byte for 200 rows, or whose offsets run
 * backwards or past its bytes.
 */
export function badStrings(kind: 'validity' | 'backwards' | 'past-end'): Uint8Array {
  const rows = 200
  if (kind === 'validity') {
    // The validity buffer is the first (offset 0, length = its padded size) pair in the header.
    return rewriteBuffer(stringStream(rows), BigInt(Math.ceil(rows / 8 / 8) * 8), 'length', 1n)
  }
  const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => i)
  if (kind === 'backwards') offsets[10] = 2
  else offsets[rows] = 1 << 20
  return stringStream(rows, offsets)
}

/** A dictionary-encoded column whose indices point past its dictionary. */
export function dictionaryOutOfRange(): Uint8Array {
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())
  const dictionary = arrow.vectorFromArray(['a', 'b'], new arrow.Utf8())
  const indices = Int32Array.from([0, 1, 1_000_000])
  const data = arrow.makeData({ type, length: 3, nullCount: 0, data: indices, dictionary })
  return arrow.tableToIPC(new arrow.Table({ s: arrow.makeVector(data) }), 'stream')
}
