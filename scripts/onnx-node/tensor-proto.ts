/**
 * ONNX TensorProto files (the node tests' input_N.pb / output_N.pb) as typed arrays, read with the
 * runtime's schema-less protobuf reader. Field numbers from onnx/onnx.proto.
 */
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, fieldText, packedVarints, protoFields } from '../../src/runtimes/onnx/protobuf-fields.js'
import type { TensorData, TensorElementType } from '../../src/data/tensor.js'

export interface TensorFile {
  name: string
  /** Quiver's element type, or null for types it has none for (bfloat16, complex, float8, int4…). */
  type: TensorElementType | null
  onnxType: number
  dims: number[]
  data: TensorData | null
}

const ELEMENT: Record<number, TensorElementType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
}
const ARRAY: Record<Exclude<TensorElementType, 'string'>, { new (n: number): Exclude<TensorData, string[]>; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, int32: Int32Array,
  int64: BigInt64Array, bool: Uint8Array, float16: Uint16Array, float64: Float64Array, uint32: Uint32Array, uint64: BigUint64Array,
}

export function readTensorProto(buf: Uint8Array): TensorFile {
  let name = ''
  let onnxType = 0
  const dims: number[] = []
  let raw: Uint8Array | null = null
  const strings: string[] = []
  const floats: number[] = []
  const doubles: number[] = []
  const varints: bigint[] = []
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (const f of protoFields(buf)) {
    switch (f.no) {
      case 1: for (const d of packedVarints(buf, f)) dims.push(Number(BigInt.asIntN(64, d))); break
      case 2: onnxType = Number(f.value); break
      case 4:
        if (f.wire === WIRE_I32) floats.push(view.getFloat32(f.start, true))
        else for (let at = f.start; at < f.end; at += 4) floats.push(view.getFloat32(at, true))
        break
      case 5: case 7: case 11:
        if (f.wire === WIRE_VARINT || f.wire === WIRE_LEN) for (const v of packedVarints(buf, f)) varints.push(v)
        break
      case 6: if (f.wire === WIRE_LEN) strings.push(fieldText(buf, f)); break
      case 8: if (f.wire === WIRE_LEN) name = fieldText(buf, f); break
      case 9: if (f.wire === WIRE_LEN) raw = buf.slice(f.start, f.end); break
      case 10:
        if (f.wire === WIRE_I64) doubles.push(view.getFloat64(f.start, true))
        else for (let at = f.start; at < f.end; at += 8) doubles.push(view.getFloat64(at, true))
        break
    }
  }
  const type = ELEMENT[onnxType] ?? null
  const count = dims.reduce((a, b) => a * b, 1)
  if (type === null) return { name, type, onnxType, dims, data: null }
  if (type === 'string') return { name, type, onnxType, dims, data: strings }
  const Ctor = ARRAY[type]
  let data: Exclude<TensorData, string[]>
  if (raw !== null) {
    const aligned = new Uint8Array(raw.byteLength)
    aligned.set(raw)
    data = new (Ctor as unknown as new (b: ArrayBuffer, o: number, n: number) => Exclude<TensorData, string[]>)(aligned.buffer, 0, count)
  } else {
    data = new Ctor(count)
    const target = data as unknown as (number | bigint)[]
    const source: (number | bigint)[] = type === 'float32' ? floats : type === 'float64' ? doubles : varints
    for (let i = 0; i < count; i++) {
      const v = source[i] ?? 0
      if (type === 'int64') target[i] = BigInt.asIntN(64, BigInt(v))
      else if (type === 'uint64') target[i] = BigInt.asUintN(64, BigInt(v))
      else if (typeof v === 'bigint') target[i] = Number(type === 'uint32' ? BigInt.asUintN(32, v) : BigInt.asIntN(32, v))
      else target[i] = v
    }
  }
  return { name, type, onnxType, dims, data }
}
