/**
 * Bulk writes to Redis as raw RESP on a socket of their own, as `redis-cli --pipe` does: the
 * commands for a batch of entities are laid out in one buffer straight from the encoded keys and
 * values (no per-entity objects), written at once, and their one-line replies counted.
 */
import { connect, type Socket } from 'node:net'
import { RuntimeFailure } from '../../errors.js'
import type { EncodedRows } from './online-store.js'

/** `$n\r\n` for the lengths that recur (every key and value of a set usually has one of a few). */
const BULK_HEADS: Buffer[] = []

function bulkHead(n: number): Buffer {
  if (n >= 4096) return Buffer.from(`$${n}\r\n`, 'latin1')
  return (BULK_HEADS[n] ??= Buffer.from(`$${n}\r\n`, 'latin1'))
}

/** Copies src[start, end) to dst at pos; a loop below the size where a native copy pays for its call. */
function put(dst: Buffer, pos: number, src: Uint8Array, start: number, end: number): number {
  if (end - start > 48) {
    dst.set(src.subarray(start, end), pos)
    return pos + end - start
  }
  for (let k = start; k < end; k++) dst[pos++] = src[k]!
  return pos
}

/** A bulk string: header, `prefix` (may be empty), src[start, end), CRLF. */
function bulk(buf: Buffer, pos: number, prefix: Buffer, src: Buffer, start: number, end: number): number {
  const head = bulkHead(prefix.length + end - start)
  pos = put(buf, pos, head, 0, head.length)
  pos = put(buf, pos, prefix, 0, prefix.length)
  pos = put(buf, pos, src, start, end)
  buf[pos++] = 13
  buf[pos++] = 10
  return pos
}

const EMPTY = Buffer.alloc(0)
const MSET = Buffer.from('$4\r\nMSET\r\n')
const SET = Buffer.from('*5\r\n$3\r\nSET\r\n')
const SET_PLAIN = Buffer.from('*3\r\n$3\r\nSET\r\n')
const PXAT = Buffer.from('$4\r\nPXAT\r\n')

/**
 * The commands storing rows [start, end), each key after `keyPrefix`: one MSET when nothing
 * expires, else one SET … PXAT per entity (a SET without PXAT where it never expires). Returns the
 * bytes and the reply count.
 */
export function writeCommands(keyPrefix: Buffer, keys: EncodedRows, values: EncodedRows, expiresAt: Float64Array | null, start: number, end: number): { bytes: Buffer; replies: number } {
  const ks = (i: number) => (i === 0 ? 0 : keys.ends[i - 1]!)
  const vs = (i: number) => (i === 0 ? 0 : values.ends[i - 1]!)
  const span = keys.ends[end - 1]! - ks(start) + values.ends[end - 1]! - vs(start)
  const buf = Buffer.allocUnsafe(span + (end - start) * (keyPrefix.length + 80) + 64)
  let pos = 0
  const expiring = expiresAt !== null && expiresAt.subarray(start, end).some((x) => x !== 0)
  if (!expiring) {
    pos += buf.write(`*${1 + 2 * (end - start)}\r\n`, pos, 'latin1')
    pos += MSET.copy(buf, pos)
    let k0 = ks(start)
    let v0 = vs(start)
    for (let i = start; i < end; i++) {
      const k1 = keys.ends[i]!
      const v1 = values.ends[i]!
      pos = bulk(buf, pos, keyPrefix, keys.bytes, k0, k1)
      pos = bulk(buf, pos, EMPTY, values.bytes, v0, v1)
      k0 = k1
      v0 = v1
    }
    return { bytes: buf.subarray(0, pos), replies: 1 }
  }
  for (let i = start; i < end; i++) {
    const at = expiresAt[i]!
    pos += (at === 0 ? SET_PLAIN : SET).copy(buf, pos)
    pos = bulk(buf, pos, keyPrefix, keys.bytes, ks(i), keys.ends[i]!)
    pos = bulk(buf, pos, EMPTY, values.bytes, vs(i), values.ends[i]!)
    if (at !== 0) {
      pos += PXAT.copy(buf, pos)
      const t = String(Math.trunc(at))
      pos += buf.write(`$${t.length}\r\n${t}\r\n`, pos, 'latin1')
    }
  }
  return { bytes: buf.subarray(0, pos), replies: end - start }
}

/** One connection carrying pipelined commands whose replies are one line each (+OK, :n, -ERR). */
export class RespPipe {
  readonly #socket: Socket
  #pending: { left: number; resolve: () => void; reject: (e: Error) => void; error?: string }[] = []
  #tail = ''
  #failed: Error | undefined

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (d: Buffer) => this.#onData(d))
    const fail = (err: Error) => {
      this.#failed = err
      for (const p of this.#pending.splice(0)) p.reject(err)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  }

  /** Connects and sends AUTH / SELECT from the URL's user, password and path. */
  static async open(url: string): Promise<RespPipe> {
    const u = new URL(url)
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(Number(u.port || 6379), u.hostname || '127.0.0.1', () => resolve(s))
      s.once('error', reject)
      s.setTimeout(5000, () => s.destroy(new Error('connect timeout')))
    })
    socket.setTimeout(0)
    socket.setNoDelay(true)
    const pipe = new RespPipe(socket)
    const args = (parts: string[]) => Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts.map((p) => Buffer.from(`$${Buffer.byteLength(p)}\r\n${p}\r\n`))])
    if (u.password) await pipe.send(args(u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]), 1)
    const db = u.pathname.replace(/^\//, '')
    if (db) await pipe.send(args(['SELECT', db]), 1)
    return pipe
  }

  get broken(): boolean {
    return this.#failed !== undefined
  }

  /** Writes `bytes` and resolves once `replies` replies came back; rejects on the first error reply. */
  send(bytes: Buffer, replies: number): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed)
    return new Promise((resolve, reject) => {
      this.#pending.push({ left: replies, resolve, reject })
      this.#socket.write(bytes)
    })
  }

  #onData(d: Buffer): void {
    const text = this.#tail + d.toString('latin1')
    let start = 0
    for (;;) {
      const nl = text.indexOf('\r\n', start)
      if (nl < 0) break
      const line = text.slice(start, nl)
      start = nl + 2
      const p = this.#pending[0]
      if (!p) continue
      if (line.startsWith('-')) p.error ??= line.slice(1)
      if (--p.left === 0) {
        this.#pending.shift()
        if (p.error) p.reject(new RuntimeFailure(`the online store (Redis) refused a write: ${p.error}`))
        else p.resolve()
      }
    }
    this.#tail = text.slice(start)
  }

  close(): void {
    this.#socket.destroy()
  }
}
