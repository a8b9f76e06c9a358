/**
 * The worker wire protocol. Every message, in both directions, is one frame:
 *
 *     0   u32  magic "QVW1"
 *     4   u32  header length H (UTF-8 JSON)
 *     8   u64  body length B
 *     16  H bytes of header JSON, zero-padded so the body starts at a multiple of 64
 *     …   B bytes of body: raw little-endian column buffers, each starting at a multiple of 64
 *
 * Buffer offsets in the header are relative to the body start. Column data never goes through
 * JSON: numpy reads it with `np.frombuffer`, Arrow gets typed-array views over the frame.
 */

export const FRAME_MAGIC = 0x31575651 // "QVW1" little-endian
export const FRAME_PREFIX_BYTES = 16
export const BUFFER_ALIGN = 64

export type WireDtype =
  | 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'float16' | 'float32' | 'float64' | 'string' | 'binary' | 'timestamp[ms]'

/** A byte range of the frame body. */
export interface BufferRef {
  offset: number
  length: number
}

/**
 * One column. `shape` is `[rows]` for scalars, `[rows, n, …]` for fixed-size lists and
 * `[rows, -1]` for variable lists (row boundaries in `offsets`). Strings and binary use the
 * Arrow layout: int32 `offsets` (rows + 1, first one not necessarily 0) over UTF-8 `data`.
 * Booleans travel as one byte per value. `validity` is an Arrow LSB bitmap starting at `bit_offset`.
 */
export interface WireColumn {
  name: string
  dtype: WireDtype
  shape: number[]
  data: BufferRef
  offsets?: BufferRef
  validity?: BufferRef & { bit_offset: number }
}

export type RequestKind = 'load' | 'infer' | 'unload' | 'ping'

export interface RequestHeader {
  id: number
  kind: RequestKind
  model?: string
  columns?: WireColumn[]
  rows?: number
  [key: string]: unknown
}

/** A worker-side exception, as the worker reports it. */
export interface WireError {
  type: string
  message: string
  traceback?: string
  /** Which Quiver error the worker means: `invalid_input`, `unsupported`, or unset (runtime failure). */
  code?: string
  field?: string
}

export interface ReplyHeader {
  id: number
  ok: boolean
  error?: WireError
  columns?: WireColumn[]
  rows?: number
  warnings?: string[]
  [key: string]: unknown
}

export interface Frame<H> {
  header: H
  /** The frame body; column buffers are views into it. */
  body: Uint8Array
}

const PAD = new Uint8Array(BUFFER_ALIGN)

export function align(n: number, to = BUFFER_ALIGN): number {
  return Math.ceil(n / to) * to
}

/** Lays out buffers in a body: returns their refs and the body length. */
export class BodyBuilder {
  readonly parts: Uint8Array[] = []
  #length = 0

  add(buf: ArrayBufferView): BufferRef {
    const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    const pad = align(this.#length) - this.#length
    if (pad > 0) this.parts.push(PAD.subarray(0, pad))
    const ref = { offset: this.#length + pad, length: bytes.byteLength }
    if (bytes.byteLength > 0) this.parts.push(bytes)
    this.#length = ref.offset + bytes.byteLength
    return ref
  }

  get length(): number {
    return this.#length
  }
}

/** The chunks of one frame, ready for a vectored write. The column buffers are not copied. */
export function encodeFrame(header: object, body: BodyBuilder | null): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const headerEnd = align(FRAME_PREFIX_BYTES + json.byteLength)
  const head = new Uint8Array(headerEnd)
  const view = new DataView(head.buffer)
  const bodyLength = body?.length ?? 0
  view.setUint32(0, FRAME_MAGIC, true)
  view.setUint32(4, json.byteLength, true)
  view.setBigUint64(8, BigInt(bodyLength), true)
  head.set(json, FRAME_PREFIX_BYTES)
  return body ? [head, ...body.parts] : [head]
}

/**
 * Reassembles frames from a byte stream (a pipe delivers them in arbitrary chunks). Each frame
 * lands in its own freshly allocated buffer, so typed-array views over it are aligned.
 */
export class FrameReader<H> {
  #prefix = new Uint8Array(FRAME_PREFIX_BYTES)
  #prefixFill = 0
  #frame: Uint8Array | null = null
  #fill = 0
  #headerLength = 0
  readonly #onFrame: (frame: Frame<H>) => void

  constructor(onFrame: (frame: Frame<H>) => void) {
    this.#onFrame = onFrame
  }

  push(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.byteLength) {
      if (this.#frame === null) {
        const take = Math.min(FRAME_PREFIX_BYTES - this.#prefixFill, chunk.byteLength - at)
        this.#prefix.set(chunk.subarray(at, at + take), this.#prefixFill)
        this.#prefixFill += take
        at += take
        if (this.#prefixFill < FRAME_PREFIX_BYTES) return
        const view = new DataView(this.#prefix.buffer)
        if (view.getUint32(0, true) !== FRAME_MAGIC) {
          throw new Error('python worker wrote bytes that are not a protocol frame to its protocol channel')
        }
        this.#headerLength = view.getUint32(4, true)
        const total = align(FRAME_PREFIX_BYTES + this.#headerLength) + Number(view.getBigUint64(8, true))
        this.#frame = new Uint8Array(total)
        this.#frame.set(this.#prefix, 0)
        this.#fill = FRAME_PREFIX_BYTES
        this.#prefixFill = 0
      }
      const frame = this.#frame
      const take = Math.min(frame.byteLength - this.#fill, chunk.byteLength - at)
      frame.set(chunk.subarray(at, at + take), this.#fill)
      this.#fill += take
      at += take
      if (this.#fill === frame.byteLength) {
        this.#frame = null
        const json = Buffer.from(frame.buffer, FRAME_PREFIX_BYTES, this.#headerLength).toString('utf8')
        const bodyStart = align(FRAME_PREFIX_BYTES + this.#headerLength)
        this.#onFrame({ header: JSON.parse(json) as H, body: frame.subarray(bodyStart) })
      }
    }
  }
}
