/**
 * Finds every tensor of an ONNX model that keeps its data in another file (`data_location =
 * EXTERNAL`), by walking the model's protobuf: graph initializers, sparse initializers, tensors in
 * node attributes, subgraphs (If/Loop/Scan bodies), functions and training graphs. onnxruntime
 * would read such a file relative to the model's directory, which for a stored blob is a shard of
 * the artifact store holding other workspaces' models, so every reference is checked before
 * onnxruntime sees the model.
 */
import { lstat, realpath } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import { InvalidInput } from '../../errors.js'

/** One tensor whose bytes live outside the model file. */
export interface ExternalTensor {
  /** `initializer 'W'`, `tensor 'value' of node 'c1'`: where the graph declares it. */
  where: string
  /** The `location` entry of its external_data, as written in the model ('' when missing). */
  location: string
}

const WIRE_VARINT = 0
const WIRE_I64 = 1
const WIRE_LEN = 2
const WIRE_I32 = 5
const DATA_LOCATION_EXTERNAL = 1
/** Subgraphs nest through node attributes; a hostile file could nest them until the stack ends. */
const MAX_DEPTH = 64

interface Field {
  no: number
  wire: number
  /** The varint value (wire 0). */
  value: number
  /** The bytes of a length-delimited field (wire 2). */
  start: number
  end: number
}

/** Lists the tensors of a serialized ModelProto that keep their data in external files. */
export function externalTensors(model: Uint8Array, fileName: string): ExternalTensor[] {
  const found: ExternalTensor[] = []
  const walker = new Walker(model, fileName, found)
  walker.model(0, model.length)
  return found
}

class Walker {
  constructor(
    readonly buf: Uint8Array,
    readonly fileName: string,
    readonly found: ExternalTensor[],
  ) {}

  model(start: number, end: number): void {
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 7) this.graph(f.start, f.end, 1)
      else if (f.no === 20) this.trainingInfo(f.start, f.end)
      else if (f.no === 25) this.function(f.start, f.end, 1)
    }
  }

  trainingInfo(start: number, end: number): void {
    // initialization = 1, algorithm = 2: both GraphProto.
    for (const f of this.fields(start, end)) if (f.wire === WIRE_LEN && (f.no === 1 || f.no === 2)) this.graph(f.start, f.end, 1)
  }

  function(start: number, end: number, depth: number): void {
    // node = 7, attribute_proto = 11 (default attribute values).
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 7) this.node(f.start, f.end, depth)
      else if (f.no === 11) this.attribute(f.start, f.end, '(function attribute)', depth)
    }
  }

  graph(start: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) this.invalid(`its subgraphs nest more than ${MAX_DEPTH} deep`)
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 1) this.node(f.start, f.end, depth)
      else if (f.no === 5) this.tensor(f.start, f.end, (name) => `initializer '${name}'`)
      else if (f.no === 15) this.sparse(f.start, f.end, (name) => `sparse initializer '${name}'`)
    }
  }

  node(start: number, end: number, depth: number): void {
    let name = ''
    const attributes: Field[] = []
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 3) name = this.text(f)
      else if (f.no === 5) attributes.push(f)
    }
    for (const a of attributes) this.attribute(a.start, a.end, name, depth)
  }

  attribute(start: number, end: number, nodeName: string, depth: number): void {
    let name = ''
    const parts: Field[] = []
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 1) name = this.text(f)
      else parts.push(f)
    }
    const where = (tensor: string) => `tensor '${tensor || name}' of node '${nodeName}' (attribute '${name}')`
    for (const f of parts) {
      if (f.no === 5 || f.no === 10) this.tensor(f.start, f.end, where)
      else if (f.no === 22 || f.no === 23) this.sparse(f.start, f.end, where)
      else if (f.no === 6 || f.no === 11) this.graph(f.start, f.end, depth + 1)
    }
  }

  sparse(start: number, end: number, where: (name: string) => string): void {
    // values = 1, indices = 2: both TensorProto.
    for (const f of this.fields(start, end)) if (f.wire === WIRE_LEN && (f.no === 1 || f.no === 2)) this.tensor(f.start, f.end, where)
  }

  tensor(start: number, end: number, where: (name: string) => string): void {
    let name = ''
    let external = false
    let location = ''
    for (const f of this.fields(start, end)) {
      if (f.no === 8 && f.wire === WIRE_LEN) name = this.text(f)
      else if (f.no === 14 && f.wire === WIRE_VARINT) external ||= f.value === DATA_LOCATION_EXTERNAL
      else if (f.no === 13 && f.wire === WIRE_LEN) {
        // Entries alone count too: a reader that honours them without the flag must not be fooled.
        external = true
        const entry = this.entry(f.start, f.end)
        if (entry.key === 'location') location = entry.value
      }
    }
    if (external) this.found.push({ where: where(name), location })
  }

  entry(start: number, end: number): { key: string; value: string } {
    let key = ''
    let value = ''
    for (const f of this.fields(start, end)) {
      if (f.wire !== WIRE_LEN) continue
      if (f.no === 1) key = this.text(f)
      else if (f.no === 2) value = this.text(f)
    }
    return { key, value }
  }

  text(f: Field): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + f.start, f.end - f.start).toString('utf8')
  }

  *fields(start: number, end: number): Generator<Field> {
    let at = start
    while (at < end) {
      const [key, afterKey] = this.varint(at, end)
      const no = Math.floor(key / 8)
      const wire = key % 8
      at = afterKey
      if (no === 0) this.invalid(`field number 0 at byte ${at}`)
      if (wire === WIRE_VARINT) {
        const [value, next] = this.varint(at, end)
        yield { no, wire, value, start: at, end: next }
        at = next
      } else if (wire === WIRE_LEN) {
        const [length, next] = this.varint(at, end)
        if (length > end - next) this.invalid(`a field at byte ${next} claims ${length} bytes but ${end - next} remain`)
        yield { no, wire, value: 0, start: next, end: next + length }
        at = next + length
      } else if (wire === WIRE_I64 || wire === WIRE_I32) {
        const size = wire === WIRE_I64 ? 8 : 4
        if (size > end - at) this.invalid(`a fixed-size field at byte ${at} runs past its message`)
        at += size
      } else {
        this.invalid(`unsupported protobuf wire type ${wire} at byte ${at}`)
      }
    }
  }

  /** A varint as a number; values past 2^53 lose precision, which no length or enum here reaches. */
  varint(at: number, end: number): [number, number] {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (at >= end) this.invalid(`a number at byte ${at} runs past its message`)
      const b = this.buf[at++]!
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return [value, at]
      scale *= 128
    }
    this.invalid(`a number at byte ${at} is longer than 10 bytes`)
  }

  invalid(why: string): never {
    throw new InvalidInput(`${this.fileName} is not a valid ONNX model: Protobuf parsing failed (${why})`, { field: 'model', got: why })
  }
}

/**
 * Refuses external data that is not a file inside `folder` (the model's own uploaded folder); with
 * no folder (a single .onnx upload) every reference is refused. Locations are taken as relative
 * paths without `..`; after symlinks are resolved the file must still be inside the folder.
 */
export async function checkExternalData(tensors: readonly ExternalTensor[], folder: string | null, fileName: string): Promise<void> {
  for (const t of tensors) {
    const shown = JSON.stringify(t.location)
    const refuse = (why: string): never => {
      throw new InvalidInput(`${fileName}: ${t.where} keeps its data in an external file (location ${shown}), ${why}`, {
        field: 'model', expected: 'tensor data inside the model file', got: `external data at ${shown}`,
      })
    }
    if (folder === null) {
      refuse('but a single .onnx file has no folder of its own to read it from; save the model with its weights inside the file (onnx.save_model(m, path, save_as_external_data=False))')
    }
    if (t.location === '') refuse('but names no location')
    if (t.location.includes('\0')) refuse('which holds a NUL byte')
    if (isAbsolute(t.location) || /^[a-zA-Z]:|^[\\/]/.test(t.location)) refuse('an absolute path; external data must be a relative path inside the model folder')
    if (t.location.split(/[\\/]/).includes('..')) refuse("which climbs out with '..'; external data must stay inside the model folder")
    const root = await realpath(folder!)
    const target = join(root, t.location)
    const info = await lstat(target).catch(() => null)
    if (!info) refuse('which does not exist in the model folder')
    const real = await realpath(target)
    const rel = relative(root, real)
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) refuse('which resolves (through a link) outside the model folder')
    if (!(await lstat(real)).isFile()) refuse('which is not a regular file')
  }
}
