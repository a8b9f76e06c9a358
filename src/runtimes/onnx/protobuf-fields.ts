/**
 * The fields of one serialized protobuf message, without a schema: enough to read the few ONNX
 * messages Quiver looks into (value infos, tensors) straight from the model bytes.
 */

export const WIRE_VARINT = 0
export const WIRE_I64 = 1
export const WIRE_LEN = 2
export const WIRE_I32 = 5

export interface ProtoField {
  no: number
  wire: number
  /** The varint value (wire 0) as a bigint, exact to 64 bits. */
  value: bigint
  /** The field's payload bytes: the message or string (wire 2), the 4 or 8 bytes (wire 5, 1). */
  start: number
  end: number
}

export class ProtoError extends Error {}

/** Yields the fields of the message in `buf[start, end)`; throws ProtoError on malformed bytes. */
export function* protoFields(buf: Uint8Array, start = 0, end = buf.length): Generator<ProtoField> {
  let at = start
  while (at < end) {
    const [key, afterKey] = varint(buf, at, end)
    const no = Number(key >> 3n)
    const wire = Number(key & 7n)
    at = afterKey
    if (no === 0) throw new ProtoError(`field number 0 at byte ${at}`)
    if (wire === WIRE_VARINT) {
      const [value, next] = varint(buf, at, end)
      yield { no, wire, value, start: at, end: next }
      at = next
    } else if (wire === WIRE_LEN) {
      const [length, next] = varint(buf, at, end)
      if (length > BigInt(end - next)) throw new ProtoError(`a field at byte ${next} claims ${length} bytes but ${end - next} remain`)
      yield { no, wire, value: 0n, start: next, end: next + Number(length) }
      at = next + Number(length)
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const size = wire === WIRE_I64 ? 8 : 4
      if (size > end - at) throw new ProtoError(`a fixed-size field at byte ${at} runs past its message`)
      yield { no, wire, value: 0n, start: at, end: at + size }
      at += size
    } else {
      throw new ProtoError(`unsupported protobuf wire type ${wire} at byte ${at}`)
    }
  }
}

/** The varints of a packed repeated field's payload (or the one value of an unpacked one). */
export function* packedVarints(buf: Uint8Array, f: ProtoField): Generator<bigint> {
  if (f.wire === WIRE_VARINT) {
    yield f.value
    return
  }
  let at = f.start
  while (at < f.end) {
    const [v, next] = varint(buf, at, f.end)
    yield v
    at = next
  }
}

export function fieldText(buf: Uint8Array, f: ProtoField): string {
  return Buffer.from(buf.buffer, buf.byteOffset + f.start, f.end - f.start).toString('utf8')
}

function varint(buf: Uint8Array, at: number, end: number): [bigint, number] {
  let value = 0n
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (at >= end) throw new ProtoError(`a number at byte ${at} runs past its message`)
    const b = buf[at++]!
    value |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, value), at]
  }
  throw new ProtoError(`a number at byte ${at} is longer than 10 bytes`)
}
