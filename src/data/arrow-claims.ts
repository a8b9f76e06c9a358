/**
 * Arrow data as received (IPC bytes, or a table handed to the embedded API) checked against its own
 * claims before anything reads it: apache-arrow's reader trusts each record batch header, so a batch
 * declaring 100,000 rows over data for 257 becomes a Data whose buffers are shorter than its length.
 * Every length, offset, validity bitmap and dictionary index is checked against the buffers that are
 * really there; the row count against the input limits.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../errors.js'
import { inputLimits, limitExceeded, type InputLimits } from './input-limits.js'

const { Type } = arrow

/** Refuses a table whose buffers do not hold what its lengths claim, or past the row limit. */
export function checkArrowClaims(table: arrow.Table, limits: InputLimits = inputLimits()): void {
  table.batches.forEach((batch, b) => {
    const where = table.batches.length > 1 ? ` (record batch ${b})` : ''
    const struct = batch.data
    if (!Number.isSafeInteger(struct.length) || struct.length < 0) {
      throw claim(`record batch ${b}`, `${struct.length} rows`, 'that is not a row count')
    }
    // Nothing of an empty batch is read (and apache-arrow builds its columns as bare arrays).
    if (struct.length === 0) return
    batch.schema.fields.forEach((f, k) => {
      const child = struct.children[k]
      if (!child) throw claim(`field '${f.name}'${where}`, `${struct.length} rows`, 'it has no column data')
      if (child.length < struct.length) {
        throw claim(`field '${f.name}'${where}`, `${struct.length} rows (the record batch length)`, `its column holds ${child.length}`)
      }
      checkData(child, `field '${f.name}'${where}`)
    })
  })
  if (table.numRows > limits.maxRows) throw limitExceeded('Arrow input', 'maxRows', limits.maxRows, table.numRows)
}

/** "Arrow input field 'x': claims 100000 rows but its column holds 257 values". */
function claim(where: string, claimed: string, actual: string): InvalidInput {
  return new InvalidInput(`Arrow input ${where}: claims ${claimed} but ${actual}`, { field: where, expected: claimed, got: actual })
}

function bufferShort(where: string, buffer: string, claimed: number, unit: string, actual: number): InvalidInput {
  return new InvalidInput(`Arrow input ${where}: claims ${claimed} ${unit} of ${buffer} but its ${buffer} buffer holds ${actual}`, {
    field: where, expected: `${claimed} ${unit}`, got: `${actual} ${unit}`,
  })
}

function checkData(d: arrow.Data, where: string): void {
  const length = d.length
  // Data built in memory with no rows may carry no offset at all.
  const offset = d.offset ?? 0
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw claim(where, `offset ${offset} and length ${length}`, 'that is not a range of rows')
  }
  // No rows: nothing will be read, and arrow leaves such Data without buffers.
  if (length === 0) return
  const end = offset + length
  // The claimed null count as given (the getter would count bits from the bitmap it has not checked).
  const nullCount = (d as unknown as { _nullCount: number })._nullCount
  const bitmap = d.nullBitmap
  if (nullCount > length) throw claim(where, `${nullCount} nulls`, `it has only ${length} rows`)
  if (bitmap && bitmap.byteLength > 0 && bitmap.byteLength < Math.ceil(end / 8)) {
    throw bufferShort(where, 'validity', Math.ceil(end / 8), 'bytes', bitmap.byteLength)
  }
  if (nullCount > 0 && (!bitmap || bitmap.byteLength === 0)) {
    throw claim(where, `${nullCount} nulls`, 'it has no validity buffer')
  }
  // `d.type.typeId`: Data that arrow makes for an empty table has no `typeId` of its own.
  switch (d.type.typeId) {
    case Type.Null:
      return
    case Type.Bool: {
      const need = Math.ceil(end / 8)
      if (d.values.byteLength < need) throw bufferShort(where, 'values', need, 'bytes', d.values.byteLength)
      return
    }
    case Type.Int: case Type.Float: case Type.Decimal: case Type.Date: case Type.Time: case Type.Timestamp:
    case Type.Interval: case Type.Duration: case Type.FixedSizeBinary: {
      const need = length * d.stride
      if (d.values.length < need) throw bufferShort(where, 'values', need, 'elements', d.values.length)
      return
    }
    case Type.Dictionary:
      return checkDictionary(d as arrow.Data<arrow.Dictionary>, where)
    case Type.Utf8: case Type.Binary: case Type.LargeUtf8: case Type.LargeBinary:
      checkOffsets(d, where, d.values.byteLength, 'bytes of values')
      return
    case Type.List: case Type.LargeList: case Type.Map: {
      const child = d.children[0]
      if (!child) throw claim(where, 'list values', 'it has no child data')
      checkOffsets(d, where, child.length, 'list values')
      checkData(child, `${where} (list values)`)
      return
    }
    case Type.FixedSizeList: {
      const child = d.children[0]
      const size = (d.type as arrow.FixedSizeList).listSize
      if (!child) throw claim(where, 'list values', 'it has no child data')
      if (child.length < length * size) throw claim(where, `${length} rows of ${size} values (${length * size} values)`, `its child holds ${child.length}`)
      checkData(child, `${where} (list values)`)
      return
    }
    case Type.Struct: {
      const fields = (d.type as arrow.Struct).children
      fields.forEach((f, k) => {
        const child = d.children[k]
        const inner = `${where}.${f.name}`
        if (!child) throw claim(inner, `${length} rows`, 'it has no column data')
        if (child.length < length) throw claim(inner, `${length} rows`, `its column holds ${child.length}`)
        checkData(child, inner)
      })
      return
    }
  }
  throw new InvalidInput(`Arrow input ${where} has type ${d.type}, which no model input takes`, {
    field: where, expected: 'a type a schema field can have', got: String(d.type),
  })
}

/**
 * Offsets: one more than the rows, never decreasing, inside the values they index. apache-arrow
 * re-bases value, offset and child buffers when it slices; only validity bits (and Bool values)
 * keep counting from `offset`.
 */
function checkOffsets(d: arrow.Data, where: string, available: number, unit: string): void {
  const offsets = d.valueOffsets as Int32Array | BigInt64Array | undefined
  const { length } = d
  if (!offsets || offsets.length < length + 1) throw bufferShort(where, 'offsets', length + 1, 'entries', offsets?.length ?? 0)
  let prev = Number(offsets[0]!)
  if (prev < 0) throw claim(where, `a first offset of ${prev}`, 'offsets cannot be negative')
  for (let i = 1; i <= length; i++) {
    const next = Number(offsets[i]!)
    if (next < prev) {
      throw new InvalidInput(`Arrow input ${where} row ${i - 1}: its offsets go backwards (${prev} then ${next})`, {
        field: where, row: i - 1, expected: 'non-decreasing offsets', got: `${prev} then ${next}`,
      })
    }
    prev = next
  }
  if (prev > available) throw claim(where, `${prev} ${unit} (its last offset)`, `only ${available} are there`)
}

function checkDictionary(d: arrow.Data<arrow.Dictionary>, where: string): void {
  const indices = d.values as unknown as ArrayLike<number | bigint>
  if (indices.length < d.length) throw bufferShort(where, 'dictionary indices', d.length, 'elements', indices.length)
  const dictionary = d.dictionary
  if (!dictionary) throw claim(where, 'dictionary-encoded values', 'no dictionary batch gives them')
  dictionary.data.forEach((chunk, k) => checkData(chunk, `${where} (dictionary${dictionary.data.length > 1 ? ` part ${k}` : ''})`))
  const size = dictionary.length
  const bitmap = d.nullBitmap
  const hasNulls = ((d as unknown as { _nullCount: number })._nullCount ?? 0) !== 0 && bitmap && bitmap.byteLength > 0
  for (let i = 0; i < d.length; i++) {
    const bit = i + d.offset
    if (hasNulls && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) continue
    const index = Number(indices[i]!)
    if (!(index >= 0 && index < size)) {
      throw new InvalidInput(`Arrow input ${where} row ${i}: dictionary index ${index} is outside its dictionary of ${size} values`, {
        field: where, row: i, expected: `an index below ${size}`, got: String(index),
      })
    }
  }
}

/**
 * The IPC messages' own claims, before any is decoded: each buffer of a record or dictionary batch
 * must lie inside its message body, and bodies must be compressed by nothing (no codec is
 * registered, so a compressed body could only be read as garbage). The reader clamps a buffer that
 * runs past the body to what is there; this names the lie instead. In the file layout the footer
 * decides what is read, and `checkArrowClaims` checks what it produced.
 */
export function checkIpcHeaders(bytes: Uint8Array, format: 'stream' | 'file'): void {
  const reader = new arrow.MessageReader(format === 'file' ? bytes.subarray(8) : bytes)
  let k = 0
  for (;;) {
    let message: arrow.Message | null
    try {
      message = reader.readMessage()
    } catch (err) {
      if (format === 'file') return
      throw err
    }
    if (!message) return
    const body = reader.readMessageBody(message.bodyLength)
    if (message.isRecordBatch() || message.isDictionaryBatch()) {
      const header = message.header() as unknown as {
        buffers: { offset: number; length: number }[]
        compression?: unknown
        data?: { compression?: unknown }
      }
      const what = `${message.isRecordBatch() ? 'record' : 'dictionary'} batch message ${k}`
      if ((header.compression ?? header.data?.compression) != null) {
        throw new InvalidInput(`Arrow input ${what} has compressed buffers; send uncompressed Arrow IPC`, {
          field: what, expected: 'uncompressed buffers', got: 'compressed buffers',
        })
      }
      header.buffers.forEach((b, i) => {
        const end = b.offset + b.length
        if (!(b.offset >= 0 && b.length >= 0 && Number.isSafeInteger(end) && end <= body.byteLength)) {
          throw new InvalidInput(
            `Arrow input ${what}: buffer ${i} claims bytes ${b.offset} to ${end} but the message body has ${body.byteLength} bytes`,
            { field: `${what} buffer ${i}`, expected: `at most ${body.byteLength} bytes`, got: `bytes ${b.offset} to ${end}` },
          )
        }
      })
    }
    k++
  }
}
