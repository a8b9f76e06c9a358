/**
 * The embedded online store: a map per namespace in process, written through to one file per
 * namespace under the installation's folder so that a later process (the next CLI command, a
 * restarted server) reads what `materialize` wrote. The embedded installation is held by one
 * process at a time, so the file is read once per namespace and rewritten whole on `flush`, into a
 * temporary file renamed over the old one: a crash leaves the old values or the new.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rowAt, type EncodedRows, type OnlineStore, type OnlineWrite } from './online-store.js'

interface Entry { value: Buffer; expires: number }

const MAGIC = Buffer.from('QVONLINE1\n')

export class EmbeddedOnlineStore implements OnlineStore {
  readonly kind = 'embedded' as const
  readonly #dir: string | undefined
  readonly #spaces = new Map<string, Promise<Map<string, Entry>>>()
  readonly #dirty = new Set<string>()
  #writing: Promise<unknown> = Promise.resolve()

  /** `dir` keeps the values across processes; without it they live as long as this object. */
  constructor(dir?: string) {
    this.#dir = dir
  }

  #file(namespace: string): string {
    return join(this.#dir!, `${Buffer.from(namespace).toString('base64url')}.kv`)
  }

  #space(namespace: string): Promise<Map<string, Entry>> {
    let s = this.#spaces.get(namespace)
    if (!s) {
      s = this.#load(namespace)
      this.#spaces.set(namespace, s)
    }
    return s
  }

  async #load(namespace: string): Promise<Map<string, Entry>> {
    const map = new Map<string, Entry>()
    if (!this.#dir) return map
    const bytes = await readFile(this.#file(namespace)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    })
    if (!bytes || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return map
    let p = MAGIC.length
    while (p < bytes.length) {
      const kl = bytes.readUInt32LE(p)
      const key = bytes.toString('latin1', p + 4, p + 4 + kl)
      p += 4 + kl
      const vl = bytes.readUInt32LE(p)
      const value = Buffer.from(bytes.subarray(p + 4, p + 4 + vl))
      p += 4 + vl
      map.set(key, { value, expires: bytes.readDoubleLE(p) })
      p += 8
    }
    return map
  }

  async write(namespace: string, batch: OnlineWrite): Promise<void> {
    const map = await this.#space(namespace)
    const rows = batch.keys.ends.length
    for (let i = 0; i < rows; i++) {
      map.set(rowAt(batch.keys, i).toString('latin1'), { value: Buffer.from(rowAt(batch.values, i)), expires: batch.expiresAt?.[i] ?? 0 })
    }
    this.#dirty.add(namespace)
  }

  async flush(): Promise<void> {
    if (!this.#dir) return
    const spaces = [...this.#dirty]
    this.#dirty.clear()
    const job = this.#writing.then(async () => {
      for (const ns of spaces) await this.#persist(ns, await this.#space(ns))
    })
    this.#writing = job.catch(() => undefined)
    await job
  }

  async #persist(namespace: string, map: Map<string, Entry>): Promise<void> {
    const now = Date.now()
    let size = MAGIC.length
    for (const [k, e] of map) if (!expired(e, now)) size += 16 + k.length + e.value.length
    const out = Buffer.alloc(size)
    MAGIC.copy(out)
    let p = MAGIC.length
    for (const [k, e] of map) {
      if (expired(e, now)) {
        map.delete(k)
        continue
      }
      p = out.writeUInt32LE(k.length, p)
      p += out.write(k, p, 'latin1')
      p = out.writeUInt32LE(e.value.length, p)
      p += e.value.copy(out, p)
      p = out.writeDoubleLE(e.expires, p)
    }
    await mkdir(this.#dir!, { recursive: true })
    const file = this.#file(namespace)
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, out.subarray(0, p))
    await rename(tmp, file)
  }

  async read(namespace: string, keys: EncodedRows): Promise<(Buffer | null)[]> {
    const map = await this.#space(namespace)
    const now = Date.now()
    const out = new Array<Buffer | null>(keys.ends.length)
    for (let i = 0; i < out.length; i++) {
      const e = map.get(rowAt(keys, i).toString('latin1'))
      out[i] = e && !expired(e, now) ? e.value : null
    }
    return out
  }

  async close(): Promise<void> {
    await this.flush()
  }
}

const expired = (e: Entry, now: number) => e.expires !== 0 && e.expires <= now
