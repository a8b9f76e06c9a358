/**
 * The shapes a model's main graph declares for its inputs and outputs, read from the ModelProto.
 * onnxruntime reports a rank-0 tensor and a tensor without a declared shape both as `[]`; only the
 * model itself tells a scalar from an unknown rank.
 */
import { ProtoError, WIRE_LEN, WIRE_VARINT, fieldText, protoFields } from './protobuf-fields.js'

/** One declared dim: a size, a symbolic name, or '' when neither is given. */
export type DeclaredDim = number | string

/** Per graph input/output name: its declared dims, or null when its type has no shape. */
export type DeclaredShapes = Map<string, DeclaredDim[] | null>

/** Declared shapes of the main graph's tensor inputs and outputs; an unreadable model gives an empty map. */
export function declaredShapes(model: Uint8Array): DeclaredShapes {
  const out: DeclaredShapes = new Map()
  try {
    for (const f of protoFields(model)) {
      if (f.no !== 7 || f.wire !== WIRE_LEN) continue
      // GraphProto: input = 11, output = 12 (ValueInfoProto).
      for (const g of protoFields(model, f.start, f.end)) {
        if ((g.no === 11 || g.no === 12) && g.wire === WIRE_LEN) valueInfo(model, g.start, g.end, out)
      }
    }
  } catch (err) {
    // onnxruntime will say what is wrong with the file; without shapes, its own report stands.
    if (!(err instanceof ProtoError)) throw err
    out.clear()
  }
  return out
}

function valueInfo(buf: Uint8Array, start: number, end: number, out: DeclaredShapes): void {
  let name = ''
  let shape: DeclaredDim[] | null | undefined
  for (const f of protoFields(buf, start, end)) {
    if (f.wire !== WIRE_LEN) continue
    if (f.no === 1) name = fieldText(buf, f)
    else if (f.no === 2) shape = tensorShape(buf, f.start, f.end)
  }
  if (shape !== undefined) out.set(name, shape)
}

/** TypeProto → its tensor_type's shape (null: none declared); undefined when not a tensor. */
function tensorShape(buf: Uint8Array, start: number, end: number): DeclaredDim[] | null | undefined {
  for (const f of protoFields(buf, start, end)) {
    if (f.no !== 1 || f.wire !== WIRE_LEN) continue
    let shape: DeclaredDim[] | null = null
    for (const t of protoFields(buf, f.start, f.end)) {
      if (t.no === 2 && t.wire === WIRE_LEN) shape = dims(buf, t.start, t.end)
    }
    return shape
  }
  return undefined
}

function dims(buf: Uint8Array, start: number, end: number): DeclaredDim[] {
  const out: DeclaredDim[] = []
  for (const f of protoFields(buf, start, end)) {
    if (f.no !== 1 || f.wire !== WIRE_LEN) continue
    let dim: DeclaredDim = ''
    for (const d of protoFields(buf, f.start, f.end)) {
      if (d.no === 1 && d.wire === WIRE_VARINT) dim = Number(BigInt.asIntN(64, d.value))
      else if (d.no === 2 && d.wire === WIRE_LEN) dim = fieldText(buf, d)
    }
    out.push(typeof dim === 'number' && dim < 0 ? '' : dim)
  }
  return out
}
