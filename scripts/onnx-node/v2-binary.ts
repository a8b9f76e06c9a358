/** A V2 inference request and response with every tensor in the binary extension, as a client writes and reads them. */
import * as arrow from 'apache-arrow'
import type { TensorData, TensorElementType } from '../../src/data/tensor.js'

export const DATATYPE: Record<TensorElementType, string> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', int8: 'INT8', int16: 'INT16',
  int32: 'INT32', int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
}

export interface NamedTensor {
  name: string
  type: TensorElementType
  dims: number[]
  data: TensorData
}

export function encodeRequest(inputs: NamedTensor[]): { body: Buffer; headerLength: number } {
  const chunks = inputs.map((t) => tensorBytes(t))
  const header = {
    inputs: inputs.map((t, i) => ({ name: t.name, shape: t.dims, datatype: DATATYPE[t.type], parameters: { binary_data_size: chunks[i]!.byteLength } })),
    parameters: { binary_data_output: true },
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.byteLength }
}

function tensorBytes(t: NamedTensor): Buffer {
  if (t.type === 'string') {
    return Buffer.concat((t.data as string[]).flatMap((s) => {
      const b = Buffer.from(s, 'utf8')
      const len = Buffer.alloc(4)
      len.writeUInt32LE(b.byteLength)
      return [len, b]
    }))
  }
  const d = t.data as Exclude<TensorData, string[]>
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength)
}

export interface DecodedOutput {
  name: string
  datatype: string
  shape: number[]
  /** Numbers (float16 as its value), bigints, booleans as 0/1, or strings. */
  values: ArrayLike<number | bigint | string>
}

export function decodeResponse(body: Buffer, headerLength: number | null): DecodedOutput[] {
  const json = JSON.parse(body.subarray(0, headerLength ?? body.byteLength).toString('utf8')) as {
    outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }[]
  }
  let at = headerLength ?? body.byteLength
  return json.outputs.map((o) => {
    const size = o.parameters?.binary_data_size
    if (size === undefined) return { name: o.name, datatype: o.datatype, shape: o.shape, values: (o.data ?? []) as number[] }
    const bytes = new Uint8Array(body.subarray(at, at + size))
    at += size
    return { name: o.name, datatype: o.datatype, shape: o.shape, values: decodeBytes(bytes, o.datatype) }
  })
}

function decodeBytes(bytes: Uint8Array, datatype: string): ArrayLike<number | bigint | string> {
  const b = bytes.buffer
  switch (datatype) {
    case 'BOOL': case 'UINT8': return new Uint8Array(b)
    case 'INT8': return new Int8Array(b)
    case 'UINT16': return new Uint16Array(b)
    case 'INT16': return new Int16Array(b)
    case 'FP16': return Array.from(new Uint16Array(b), (h) => arrow.util.uint16ToFloat64(h))
    case 'UINT32': return new Uint32Array(b)
    case 'INT32': return new Int32Array(b)
    case 'FP32': return new Float32Array(b)
    case 'UINT64': return new BigUint64Array(b)
    case 'INT64': return new BigInt64Array(b)
    case 'FP64': return new Float64Array(b)
    case 'BYTES': {
      const out: string[] = []
      const buf = Buffer.from(b)
      for (let at = 0; at < buf.byteLength;) {
        const len = buf.readUInt32LE(at)
        out.push(buf.toString('utf8', at + 4, at + 4 + len))
        at += 4 + len
      }
      return out
    }
  }
  throw new Error(`unknown datatype ${datatype}`)
}
