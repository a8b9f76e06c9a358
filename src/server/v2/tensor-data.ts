/**
 * V2 tensor contents ⇄ typed arrays: JSON `data` (flat or nested) and the binary extension's raw
 * little-endian bytes. Numbers are written straight into the typed array; nothing per element is
 * allocated except for BYTES.
 */
import * as arrow from 'apache-arrow'
import { InvalidInput } from '../../errors.js'
import { jsonFloat } from '../../data/column-values.js'
import { FLOAT_SPECIALS, NUMERIC_CODECS } from '../../data/scalar-codecs.js'
import type { NumericTensorData, TensorData } from '../../data/tensor.js'
import { describeInvalidUtf8, hasLoneSurrogate, invalidUtf8At } from '../../data/text-bytes.js'
import { ELEMENT_SIZE, ELEMENT_TYPE, type Datatype } from './types.js'

/** The largest finite float32; larger magnitudes may still round down to it, so the converter decides. */
const FLOAT32_MAX = 3.4028234663852886e38

/** Where an element sits, for error messages: the input name and the row (first axis). */
export interface TensorPlace {
  name: string
  perRow: number
}

const ARRAY_OF: Readonly<Record<Exclude<Datatype, 'BYTES'>, new (n: number) => NumericTensorData>> = {
  BOOL: Uint8Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
  FP16: Uint16Array, FP32: Float32Array, FP64: Float64Array,
}

function badElement(place: TensorPlace, index: number, datatype: Datatype, value: unknown, why?: string): InvalidInput {
  const row = Math.floor(index / Math.max(place.perRow, 1))
  const got = value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : String(value)
  return new InvalidInput(
    `input '${place.name}' element ${index} (row ${row}): expected ${datatype}, got ${got}${why ? ` (${why})` : ''}`,
    { field: place.name, row, expected: datatype, got },
  )
}

/** One element's converter into the typed array's storage value. */
function converterFor(datatype: Datatype, place: TensorPlace): (v: unknown, i: number) => number | bigint | string {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return (v, i) => {
        let n: number
        if (typeof v === 'number') n = v
        else if (typeof v === 'bigint') n = Number(v)
        else if (typeof v === 'string' && Object.hasOwn(FLOAT_SPECIALS, v)) return FLOAT_SPECIALS[v]!
        else throw badElement(place, i, datatype, v)
        if (datatype === 'FP32' && Number.isFinite(n) && !Number.isFinite(Math.fround(n))) {
          throw badElement(place, i, datatype, v, 'out of the float32 range')
        }
        return n
      }
    case 'BOOL':
      return (v, i) => {
        if (v === true || v === 1) return 1
        if (v === false || v === 0) return 0
        throw badElement(place, i, datatype, v)
      }
    case 'BYTES':
      return (v, i) => {
        if (typeof v === 'string') {
          if (hasLoneSurrogate(v)) throw badElement(place, i, datatype, v, 'it holds a lone UTF-16 surrogate, which has no UTF-8 bytes')
          return v
        }
        throw badElement(place, i, datatype, v)
      }
    default: {
      const codec = NUMERIC_CODECS[ELEMENT_TYPE[datatype] as keyof typeof NUMERIC_CODECS]
      return (v, i) => {
        try {
          return codec.convert(v)
        } catch (err) {
          throw badElement(place, i, datatype, v, err instanceof Error && 'hint' in err ? (err as { hint?: string }).hint : undefined)
        }
      }
    }
  }
}

/**
 * Reads JSON tensor data (flat, or nested in the tensor's natural shape) into a typed array of
 * `count` elements (BOOL as 0/1 bytes, FP16 as half bits, BYTES as strings).
 */
export function decodeJsonData(data: unknown, datatype: Datatype, count: number, place: TensorPlace): TensorData {
  if (!Array.isArray(data)) {
    throw new InvalidInput(`input '${place.name}' data must be a JSON array, got ${data === undefined ? 'nothing' : typeof data}`, { field: place.name })
  }
  const convert = converterFor(datatype, place)
  const out: TensorData = datatype === 'BYTES' ? new Array<string>(count) : new ARRAY_OF[datatype](count)
  const target = out as unknown as (number | bigint | string)[]
  let n = 0
  const tooMany = () =>
    new InvalidInput(`input '${place.name}' has more data elements than its shape allows (${count})`, {
      field: place.name, expected: `${count} elements`, got: `more than ${count}`,
    })
  const fast = datatype === 'FP32' || datatype === 'FP64'
  // Past this a float32 rounds to ±Infinity: refused (by the converter) rather than stored as such.
  const limit = datatype === 'FP32' ? FLOAT32_MAX : Number.POSITIVE_INFINITY
  const walk = (arr: unknown[]) => {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]
      if (Array.isArray(v)) {
        walk(v)
        continue
      }
      if (n >= count) throw tooMany()
      target[n] = fast && typeof v === 'number' && !(v > limit || v < -limit) ? v : convert(v, n)
      n++
    }
  }
  walk(data)
  if (n !== count) {
    throw new InvalidInput(`input '${place.name}' has ${n} data elements but its shape holds ${count}`, {
      field: place.name, expected: `${count} elements`, got: `${n} elements`,
    })
  }
  return out
}

/** Reads the binary extension's bytes of one input: native little-endian values, BYTES length-prefixed. */
export function decodeBinaryData(bytes: Uint8Array, datatype: Datatype, count: number, place: TensorPlace): TensorData {
  if (datatype === 'BYTES') return decodeBytesElements(bytes, count, place)
  const size = ELEMENT_SIZE[datatype]
  if (bytes.byteLength !== count * size) {
    throw new InvalidInput(
      `input '${place.name}' has ${bytes.byteLength} bytes of binary data but shape and datatype ${datatype} need ${count * size}`,
      { field: place.name, expected: `${count * size} bytes`, got: `${bytes.byteLength} bytes` },
    )
  }
  const Ctor = ARRAY_OF[datatype] as unknown as { new (b: ArrayBufferLike, o: number, n: number): NumericTensorData }
  // A typed array view needs its offset aligned to the element size; copy only when it is not.
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes)
  return new Ctor(aligned.buffer, aligned.byteOffset, count)
}

/** BYTES elements as strings: each must be UTF-8, as decoding would otherwise replace its bytes. */
function decodeBytesElements(bytes: Uint8Array, count: number, place: TensorPlace): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return splitBytesElements(bytes, count, place).map((b, i) => {
    const bad = invalidUtf8At(b)
    if (bad >= 0) {
      const row = Math.floor(i / Math.max(place.perRow, 1))
      throw new InvalidInput(
        `input '${place.name}' element ${i} (row ${row}): ${describeInvalidUtf8(b, bad)}, and the model takes text there, so its bytes cannot pass unchanged`,
        { field: place.name, row, expected: 'UTF-8 text', got: `${b.byteLength} bytes, not UTF-8 from offset ${bad}` },
      )
    }
    return buf.toString('utf8', b.byteOffset - bytes.byteOffset, b.byteOffset - bytes.byteOffset + b.byteLength)
  })
}

/** The elements of binary BYTES data (`[u32 little-endian length][bytes]` each), as views. */
export function splitBytesElements(bytes: Uint8Array, count: number, place: TensorPlace): Uint8Array[] {
  const out = new Array<Uint8Array>(count)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) {
      throw new InvalidInput(`input '${place.name}' binary BYTES data ends after ${i} of ${count} elements`, {
        field: place.name, expected: `${count} elements`, got: `${i} elements`,
      })
    }
    const len = view.getUint32(at, true)
    if (at + 4 + len > bytes.byteLength) {
      throw new InvalidInput(`input '${place.name}' binary BYTES element ${i} claims ${len} bytes past the end of its data`, { field: place.name })
    }
    out[i] = bytes.subarray(at + 4, at + 4 + len)
    at += 4 + len
  }
  if (at !== bytes.byteLength) {
    throw new InvalidInput(`input '${place.name}' binary BYTES data has ${bytes.byteLength - at} bytes left over after ${count} elements`, { field: place.name })
  }
  return out
}

/**
 * Tensor values as a JSON array, exact: INT64/UINT64 beyond ±2^53 as bigints (written as bare
 * digits by `responseText`), NaN/±Infinity as "NaN"/"Infinity"/"-Infinity", FP16 as the float
 * value of its bits, BOOL as true/false.
 */
export function encodeJsonData(data: TensorData, datatype: Datatype): unknown[] {
  if (datatype === 'BYTES') return data as string[]
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (b) => b !== 0)
  if (datatype === 'FP16') return Array.from(data as Uint16Array, (h) => jsonFloat(arrow.util.uint16ToFloat64(h)))
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data as BigInt64Array, jsonInt64)
  if (data instanceof Float32Array || data instanceof Float64Array) return Array.from(data, jsonFloat)
  return Array.from(data as Int32Array)
}

function jsonInt64(b: bigint): number | bigint {
  const n = Number(b)
  return Number.isSafeInteger(n) ? n : b
}

/** BYTES elements in the binary extension's framing: each a u32 little-endian length, then its bytes. */
export function encodeBytesElements(parts: readonly Uint8Array[]): Uint8Array {
  const out = Buffer.allocUnsafe(parts.reduce((a, p) => a + 4 + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.writeUInt32LE(p.byteLength, at)
    out.set(p, at + 4)
    at += 4 + p.byteLength
  }
  return out
}

/** Tensor values as the binary extension's bytes (a view, except for BYTES and BOOL). */
export function encodeBinaryData(data: TensorData, datatype: Datatype): Uint8Array {
  if (datatype === 'BYTES') return encodeBytesElements((data as string[]).map((s) => Buffer.from(s, 'utf8')))
  const typed = data as NumericTensorData
  if (datatype === 'BOOL') return Uint8Array.from(typed as Uint8Array, (b) => (b ? 1 : 0))
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)
}
