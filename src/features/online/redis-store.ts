/**
 * The online store on Redis (`QUIVER_REDIS_URL`): one string per entity under
 * `<prefix>:<namespace>:<key bytes>` (prefix `QUIVER_REDIS_PREFIX`, default `quiver`), written in pipelined bulk (MSET, or SET … PXAT where values
 * expire) and read with GET / MGET. When Redis cannot be reached a call fails at once with
 * NotReady (HTTP 503) instead of queueing; the client keeps reconnecting in the background, so
 * calls succeed again as soon as Redis is back.
 */
import { Redis } from 'ioredis'
import { NotReady, RuntimeFailure, errorMessage } from '../../errors.js'
import { rowAt, type EncodedRows, type OnlineStore, type OnlineWrite } from './online-store.js'

/** Entities per pipelined command group. */
const CHUNK = 2000
/** Command groups in flight at once. */
const IN_FLIGHT = 8

export class RedisOnlineStore implements OnlineStore {
  readonly kind = 'redis' as const
  readonly client: Redis
  readonly #url: string
  readonly #keyPrefix: string
  #lastError = ''

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

  async write(namespace: string, batch: OnlineWrite): Promise<void> {
    const prefix = this.#prefix(namespace)
    const rows = batch.keys.ends.length
    const key = (i: number) => Buffer.concat([prefix, rowAt(batch.keys, i)])
    const groups: (() => Promise<unknown>)[] = []
    for (let start = 0; start < rows; start += CHUNK) {
      const end = Math.min(rows, start + CHUNK)
      groups.push(async () => {
        const exp = batch.expiresAt
        if (exp === null || !exp.subarray(start, end).some((x) => x !== 0)) {
          const args: Buffer[] = []
          for (let i = start; i < end; i++) args.push(key(i), rowAt(batch.values, i))
          return this.client.mset(args)
        }
        const p = this.client.pipeline()
        for (let i = start; i < end; i++) {
          if (exp[i] === 0) p.set(key(i), rowAt(batch.values, i))
          else p.set(key(i), rowAt(batch.values, i), 'PXAT', exp[i]!)
        }
        const results = await p.exec()
        const failed = results?.find(([err]) => err)
        if (failed) throw failed[0]
        return results
      })
    }
    await this.#call(async () => {
      let next = 0
      const worker = async () => {
        while (next < groups.length) await groups[next++]!()
      }
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, groups.length) }, worker))
    })
  }

  async flush(): Promise<void> {}

  read(namespace: string, keys: EncodedRows): Promise<(Buffer | null)[]> {
    const prefix = this.#prefix(namespace)
    const n = keys.ends.length
    const all = Array.from({ length: n }, (_, i) => Buffer.concat([prefix, rowAt(keys, i)]))
    return this.#call(async () => (n === 1 ? [await this.client.getBuffer(all[0]!)] : n === 0 ? [] : this.client.mgetBuffer(all)))
  }

  async close(): Promise<void> {
    this.client.disconnect()
  }
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
