/**
 * The online store on Redis (`QUIVER_REDIS_URL`): one string per entity under
 * `<prefix>:<namespace>:<key bytes>` (prefix `QUIVER_REDIS_PREFIX`, default `quiver`), written in
 * pipelined bulk as raw RESP on a connection of their own (MSET, or SET … PXAT where values expire)
 * and read with GET / MGET. When Redis cannot be reached a call fails at once with
 * NotReady (HTTP 503) instead of queueing; the client keeps reconnecting in the background, so
 * calls succeed again as soon as Redis is back.
 */
import { Redis } from 'ioredis'
import { NotReady, RuntimeFailure, errorMessage, isQuiverError } from '../../errors.js'
import { rowAt, type EncodedRows, type OnlineStore, type OnlineWrite } from './online-store.js'
import { RespPipe, writeCommands } from './resp-pipe.js'

/** Entities per pipelined command group. */
const CHUNK = 4096
/** Command groups in flight at once. */
const IN_FLIGHT = 8

export class RedisOnlineStore implements OnlineStore {
  readonly kind = 'redis' as const
  readonly client: Redis
  readonly #url: string
  readonly #keyPrefix: string
  #lastError = ''
  #pipe: Promise<RespPipe> | undefined

  /** `keyPrefix` starts every key (default `quiver`), so installations can share one Redis. */
  constructor(url: string, keyPrefix = 'quiver') {
    this.#url = url
    this.#keyPrefix = keyPrefix
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * times, 500),
    })
    this.client.on('error', (err: Error) => {
      this.#lastError = errorMessage(err)
    })
  }

  #unreachable(err?: unknown): NotReady {
    const why = err === undefined ? this.#lastError || `connection ${this.client.status}` : errorMessage(err)
    return new NotReady(`the online store (Redis at ${redact(this.#url)}) is unreachable: ${why}`, { store: 'redis' })
  }

  /** Connects on first use; a store that is down answers NotReady without waiting for it. */
  async #ready(): Promise<void> {
    const s = this.client.status
    if (s === 'ready') return
    if (s === 'wait' || s === 'end') {
      try {
        await this.client.connect()
        return
      } catch (err) {
        throw this.#unreachable(err)
      }
    }
    // Connecting or reconnecting: give a connection under way a moment, then say it is down.
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => done(false), 250)
      const done = (v: boolean) => {
        clearTimeout(t)
        this.client.off('ready', onReady)
        resolve(v)
      }
      const onReady = () => done(true)
      this.client.on('ready', onReady)
    })
    if (!ok) throw this.#unreachable()
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    await this.#ready()
    try {
      return await run()
    } catch (err) {
      if (err instanceof Error && err.name === 'ReplyError') throw new RuntimeFailure(`the online store (Redis) refused a command: ${err.message}`)
      throw this.#unreachable(err)
    }
  }

  #prefix(namespace: string): Buffer {
    return Buffer.from(`${this.#keyPrefix}:${namespace}:`)
  }

  /** The bulk-write connection, opened on first write and again after it broke. */
  async #bulk(): Promise<RespPipe> {
    const current = await this.#pipe?.catch(() => undefined)
    if (current && !current.broken) return current
    this.#pipe = RespPipe.open(this.#url)
    try {
      return await this.#pipe
    } catch (err) {
      this.#pipe = undefined
      throw this.#unreachable(err)
    }
  }

  async write(namespace: string, batch: OnlineWrite): Promise<void> {
    const prefix = this.#prefix(namespace)
    const rows = batch.keys.ends.length
    const pipe = await this.#bulk()
    const sent: Promise<void>[] = []
    try {
      for (let start = 0; start < rows; start += CHUNK) {
        const { bytes, replies } = writeCommands(prefix, batch.keys, batch.values, batch.expiresAt, start, Math.min(rows, start + CHUNK))
        sent.push(pipe.send(bytes, replies))
        if (sent.length >= IN_FLIGHT) await sent.shift()
      }
      await Promise.all(sent)
    } catch (err) {
      await Promise.allSettled(sent)
      if (isQuiverError(err)) throw err
      throw this.#unreachable(err)
    }
  }

  async flush(): Promise<void> {}

  read(namespace: string, keys: EncodedRows): Promise<(Buffer | null)[]> {
    const n = keys.ends.length
    const withPrefix = prefixed(this.#prefix(namespace), keys)
    const all = Array.from({ length: n }, (_, i) => rowAt(withPrefix, i))
    return this.#call(async () => (n === 1 ? [await this.client.getBuffer(all[0]!)] : n === 0 ? [] : this.client.mgetBuffer(all)))
  }

  async close(): Promise<void> {
    ;(await this.#pipe?.catch(() => undefined))?.close()
    this.client.disconnect()
  }
}

/** The rows with `prefix` before each, in one new buffer. */
function prefixed(prefix: Buffer, rows: EncodedRows): EncodedRows {
  const n = rows.ends.length
  const bytes = Buffer.allocUnsafe(rows.bytes.length + n * prefix.length)
  const ends = new Uint32Array(n)
  let out = 0
  let start = 0
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < prefix.length; b++) bytes[out + b] = prefix[b]!
    out += prefix.length
    const end = rows.ends[i]!
    for (let k = start; k < end; k++) bytes[out++] = rows.bytes[k]!
    start = end
    ends[i] = out
  }
  return { bytes, ends }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the configured URL'
  }
}
