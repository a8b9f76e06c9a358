/** Which of a model's graph inputs are fed (not initializers) and whether each input and output is a tensor. */
import { WIRE_LEN, fieldText, protoFields } from '../../src/runtimes/onnx/protobuf-fields.js'

export interface GraphIo {
  /** Graph inputs in order, initializers left out (the node tests feed these positionally). */
  inputs: { name: string; tensor: boolean }[]
  outputs: { name: string; tensor: boolean }[]
}

export function graphIo(model: Uint8Array): GraphIo {
  const io: GraphIo = { inputs: [], outputs: [] }
  for (const f of protoFields(model)) {
    if (f.no !== 7 || f.wire !== WIRE_LEN) continue
    const initializers = new Set<string>()
    const ins: { name: string; tensor: boolean }[] = []
    for (const g of protoFields(model, f.start, f.end)) {
      if (g.wire !== WIRE_LEN) continue
      if (g.no === 5) initializers.add(tensorName(model, g.start, g.end))
      else if (g.no === 11) ins.push(valueInfo(model, g.start, g.end))
      else if (g.no === 12) io.outputs.push(valueInfo(model, g.start, g.end))
    }
    io.inputs = ins.filter((i) => !initializers.has(i.name))
  }
  return io
}

function tensorName(buf: Uint8Array, start: number, end: number): string {
  for (const f of protoFields(buf, start, end)) if (f.no === 8 && f.wire === WIRE_LEN) return fieldText(buf, f)
  return ''
}

function valueInfo(buf: Uint8Array, start: number, end: number): { name: string; tensor: boolean } {
  let name = ''
  let tensor = false
  for (const f of protoFields(buf, start, end)) {
    if (f.wire !== WIRE_LEN) continue
    if (f.no === 1) name = fieldText(buf, f)
    // TypeProto.tensor_type = 1; sequence 4, map 5, optional 9, sparse tensor 8 are not fed here.
    else if (f.no === 2) for (const t of protoFields(buf, f.start, f.end)) if (t.no === 1 && t.wire === WIRE_LEN) tensor = true
  }
  return { name, tensor }
}
