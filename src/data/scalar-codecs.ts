/**
 * Context-free conversions of one JS value to the storage value of a SPEC §3 scalar type. They
 * throw `ValueError` (what was got, and why it is refused); the column builder adds field and row.
 */
import * as arrow from 'apache-arrow'
import type { FieldType, ScalarType } from './schema.js'
import { ValueError, describeValue } from './input-error.js'
import { hasLoneSurrogate } from './text-bytes.js'

export const NUMERIC_TYPES = [
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64',
] as const
export type NumericType = (typeof NUMERIC_TYPES)[number]

type NumericArray = Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array
  | Uint32Array | BigUint64Array | Float32Array | Float64Array
type NumericArrayCtor = new (length: number) => NumericArray

export interface NumericCodec {
  /** The Arrow storage array: float16 is stored as its IEEE half bits in a Uint16Array. */
  readonly ArrayType: NumericArrayCtor
  readonly integer: boolean
  readonly convert: (v: unknown) => number | bigint
}

export function isNumericType(t: FieldType): t is NumericType {
  return typeof t === 'string' && (NUMERIC_TYPES as readonly string[]).includes(t)
}

/** JSON has no NaN or infinities; these spellings carry them (and are what the writers emit). */
export const FLOAT_SPECIALS: Readonly<Record<string, number>> = Object.freeze({
  NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY,
})

const INT64_STRING = /^[+-]?\d+$/

function notInteger(n: number): ValueError {
  return Number.isFinite(n) ? new ValueError(`fractional value ${n}`) : new ValueError(`number ${n}`)
}

function smallInt(label: string, min: number, max: number): NumericCodec['convert'] {
  const range = `out of the ${label} range ${min}..${max}`
  return (v) => {
    if (typeof v === 'bigint') {
      if (v < BigInt(min) || v > BigInt(max)) throw new ValueError(`${v}`, range)
      return Number(v)
    }
    if (typeof v !== 'number') throw new ValueError(describeValue(v))
    if (!Number.isInteger(v)) throw notInteger(v)
    if (v < min || v > max) throw new ValueError(`${v}`, range)
    return v
  }
}

function bigInt(label: string, min: bigint, max: bigint): NumericCodec['convert'] {
  return (v) => {
    let b: bigint
    if (typeof v === 'bigint') b = v
    else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw notInteger(v)
      if (!Number.isSafeInteger(v)) {
        throw new ValueError(`number ${v}`, `a JSON number beyond ±2^53 is not exact; send ${label} values that large as decimal strings`)
      }
      b = BigInt(v)
    } else if (typeof v === 'string' && INT64_STRING.test(v)) b = BigInt(v)
    else throw new ValueError(describeValue(v))
    if (b < min || b > max) throw new ValueError(`${b}`, `out of the ${label} range ${min}..${max}`)
    return b
  }
}

function float(bits: 16 | 32 | 64): NumericCodec['convert'] {
  return (v) => {
    let n: number
    if (typeof v === 'number') n = v
    else if (typeof v === 'bigint') n = Number(v)
    else if (typeof v === 'string' && Object.hasOwn(FLOAT_SPECIALS, v)) n = FLOAT_SPECIALS[v]!
    else throw new ValueError(describeValue(v))
    if (bits === 32 && Number.isFinite(n) && !Number.isFinite(Math.fround(n))) {
      throw new ValueError(`number ${n}`, 'out of the float32 range')
    }
    if (bits === 16) {
      if (Number.isFinite(n) && Math.abs(n) >= HALF_OVERFLOW) throw new ValueError(`number ${n}`, 'out of the float16 range')
      return float64ToHalf(n)
    }
    return n
  }
}

/** The smallest magnitude that rounds to infinity in IEEE half precision. */
const HALF_OVERFLOW = 65520

function roundHalfEven(v: number): number {
  const f = Math.floor(v)
  const d = v - f
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1
}

/** IEEE 754 half bits of a float64, rounded to nearest even (Arrow's own helper misrounds tiny values). */
export function float64ToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0
  const a = Math.abs(x)
  if (a >= HALF_OVERFLOW) return sign | 0x7c00
  // Subnormals are multiples of 2^-24; rounding up to 1024 of them lands exactly on the smallest normal.
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24)
  let e = Math.floor(Math.log2(a))
  if (2 ** e > a) e--
  else if (2 ** (e + 1) <= a) e++
  let m = roundHalfEven((a / 2 ** e - 1) * 1024)
  if (m === 1024) { m = 0; e++ }
  if (e > 15) return sign | 0x7c00
  return sign | ((e + 15) << 10) | m
}

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const U64_MAX = 2n ** 64n - 1n

export const NUMERIC_CODECS: Readonly<Record<NumericType, NumericCodec>> = Object.freeze({
  int8: { ArrayType: Int8Array, integer: true, convert: smallInt('int8', -128, 127) },
  int16: { ArrayType: Int16Array, integer: true, convert: smallInt('int16', -32768, 32767) },
  int32: { ArrayType: Int32Array, integer: true, convert: smallInt('int32', -2147483648, 2147483647) },
  int64: { ArrayType: BigInt64Array, integer: true, convert: bigInt('int64', I64_MIN, I64_MAX) },
  uint8: { ArrayType: Uint8Array, integer: true, convert: smallInt('uint8', 0, 255) },
  uint16: { ArrayType: Uint16Array, integer: true, convert: smallInt('uint16', 0, 65535) },
  uint32: { ArrayType: Uint32Array, integer: true, convert: smallInt('uint32', 0, 4294967295) },
  uint64: { ArrayType: BigUint64Array, integer: true, convert: bigInt('uint64', 0n, U64_MAX) },
  float16: { ArrayType: Uint16Array, integer: false, convert: float(16) },
  float32: { ArrayType: Float32Array, integer: false, convert: float(32) },
  float64: { ArrayType: Float64Array, integer: false, convert: float(64) },
})

export function convertBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  throw new ValueError(describeValue(v))
}

export function convertString(v: unknown): string {
  if (typeof v === 'string') {
    // Stored as UTF-8, a lone surrogate would turn into U+FFFD without a word.
    if (hasLoneSurrogate(v)) throw new ValueError(describeValue(v), 'it holds a lone UTF-16 surrogate, which has no UTF-8 form')
    return v
  }
  throw new ValueError(describeValue(v))
}

const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/

/** Binary values arrive as base64 text in JSON and CSV, or as bytes from Arrow, Parquet and code. */
export function convertBinary(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') {
    if (!BASE64.test(v)) throw new ValueError(describeValue(v), 'binary values are written as base64 text')
    const b = Buffer.from(v, 'base64')
    return new Uint8Array(b.buffer, b.byteOffset, b.length)
  }
  throw new ValueError(describeValue(v), 'binary values are written as base64 text')
}

const ISO_TIME = /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?:[T ]((?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/
const EPOCH_STRING = /^-?\d+$/

/** timestamp[ms] from epoch milliseconds (number, bigint, digit string), a Date, or ISO-8601 text (UTC unless it says otherwise). */
export function convertTimestampMs(v: unknown): bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw notInteger(v)
    if (!Number.isSafeInteger(v)) {
      if (Math.abs(v) >= 2 ** 63) throw new ValueError(`number ${v}`, TIMESTAMP_RANGE)
      throw new ValueError(`number ${v}`, 'a JSON number beyond ±2^53 is not exact; send timestamps that large as digit strings')
    }
    return BigInt(v)
  }
  if (typeof v === 'bigint') return inTimestampRange(v)
  if (v instanceof Date) {
    const t = v.getTime()
    if (Number.isNaN(t)) throw new ValueError('an invalid date')
    return BigInt(t)
  }
  if (typeof v === 'string') {
    if (EPOCH_STRING.test(v)) return inTimestampRange(BigInt(v))
    const m = ISO_TIME.exec(v)
    if (m !== null) {
      const zone = m[3] === undefined ? 'Z' : normaliseZone(m[3])
      const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`)
      if (!Number.isNaN(t)) return BigInt(t)
    }
    throw new ValueError(describeValue(v), 'timestamps are ISO-8601 text or epoch milliseconds')
  }
  throw new ValueError(describeValue(v), 'timestamps are ISO-8601 text or epoch milliseconds')
}

const TIMESTAMP_RANGE = `out of the timestamp[ms] range (int64 milliseconds, ${I64_MIN}..${I64_MAX})`

/** Epoch milliseconds as stored (int64): anything wider would wrap silently in a BigInt64Array. */
function inTimestampRange(b: bigint): bigint {
  if (b < I64_MIN || b > I64_MAX) throw new ValueError(`${b}`, TIMESTAMP_RANGE)
  return b
}

function normaliseZone(z: string): string {
  if (z === 'Z' || z === 'z') return 'Z'
  const digits = z.slice(1).replace(':', '')
  return `${z[0]}${digits.slice(0, 2)}:${digits.length > 2 ? digits.slice(2) : '00'}`
}

export function isScalar(t: FieldType): t is ScalarType {
  return typeof t === 'string'
}
