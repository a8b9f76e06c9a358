/** A schema with every SPEC §3 type and rows in the JSON spelling that the writers produce. */
import { parseSchema } from '../../src/data/schema.js'

export const ALL_TYPES_SCHEMA = parseSchema([
  { name: 'b', type: 'bool' },
  { name: 'i8', type: 'int8' },
  { name: 'i16', type: 'int16' },
  { name: 'i32', type: 'int32' },
  { name: 'i64', type: 'int64' },
  { name: 'u8', type: 'uint8' },
  { name: 'u16', type: 'uint16' },
  { name: 'u32', type: 'uint32' },
  { name: 'u64', type: 'uint64' },
  { name: 'f16', type: 'float16' },
  { name: 'f32', type: 'float32' },
  { name: 'f64', type: 'float64' },
  { name: 's', type: 'string' },
  { name: 'bin', type: 'binary' },
  { name: 'ts', type: 'timestamp[ms]' },
  { name: 'vec', type: { list: 'float32', size: 3 }, nullable: false },
  { name: 'ids', type: { list: 'int64', size: 2 } },
  { name: 'words', type: { list: 'string', size: null } },
  { name: 'matrix', type: { list: { list: 'float64', size: 2 }, size: null } },
  { name: 'point', type: { struct: [{ name: 'x', type: 'float64', nullable: false }, { name: 'tags', type: { list: 'string', size: null } }] } },
])

/** Rows in the JSON spelling (int64 beyond 2^53 as strings, ISO timestamps, base64 binary). */
export const ALL_TYPES_ROWS: Record<string, unknown>[] = [
  {
    b: true, i8: -128, i16: 32767, i32: -2147483648, i64: '-9223372036854775808', u8: 255, u16: 65535,
    u32: 4294967295, u64: '18446744073709551615', f16: 0.5, f32: 1.25, f64: 0.1, s: 'plain',
    bin: 'AAEC/w==', ts: '2024-05-06T07:08:09.123Z', vec: [1, -2.5, 3], ids: ['9007199254740993', -1],
    words: ['a', 'b c'], matrix: [[1, 2], [3.5, 4]], point: { x: 1.5, tags: ['t'] },
  },
  {
    b: false, i8: 127, i16: -32768, i32: 2147483647, i64: 42, u8: 0, u16: 0, u32: 0, u64: 7,
    f16: -2, f32: 'NaN', f64: 'Infinity', s: 'comma, "quote"\nnewline ü', bin: '', ts: '1969-12-31T23:59:59.999Z',
    vec: [0, 0.5, -0.25], ids: [0, 9007199254740991], words: [], matrix: [], point: { x: 0, tags: [] },
  },
  {
    b: null, i8: null, i16: null, i32: null, i64: null, u8: null, u16: null, u32: null, u64: null,
    f16: null, f32: '-Infinity', f64: null, s: null, bin: null, ts: null, vec: [7, 8, 9], ids: null,
    words: null, matrix: null, point: null,
  },
]
