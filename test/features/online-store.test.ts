import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { toArrowType, type FieldType, type SchemaField } from '../../src/data/schema.js'
import { EmbeddedOnlineStore } from '../../src/features/online/embedded-store.js'
import type { OnlineStore } from '../../src/features/online/online-store.js'
import { readOnline, writeOnline, type OnlineLayout } from '../../src/features/online/online-table.js'
import { RedisOnlineStore } from '../../src/features/online/redis-store.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_URL } from '../helpers/redis.js'

const col = (t: FieldType, values: unknown[]) => arrow.vectorFromArray(values, toArrowType(t) as never).data[0]!
const field = (name: string, type: FieldType): SchemaField => ({ name, type, nullable: true })
const BIG = 2n ** 62n + 1n
/** A struct with a fixed-width, a string and a variable-list field, as a feature and inside a list. */
const PLACE: FieldType = { struct: [field('lat', 'float64'), field('name', 'string'), field('tags', { list: 'int64', size: null })] }

const FIELDS: [SchemaField, unknown[]][] = [
  [field('i64', 'int64'), [BIG, -(2n ** 53n) - 1n, null]],
  [field('u64', 'uint64'), [2n ** 64n - 1n, 0n, 5n]],
  [field('f64', 'float64'), [Number.NaN, -0, Number.POSITIVE_INFINITY]],
  [field('f32', 'float32'), [1.5, Number.NaN, null]],
  [field('i8', 'int8'), [-128, 127, 0]],
  [field('b', 'bool'), [true, false, null]],
  [field('s', 'string'), ['héllo ✓', '', null]],
  [field('bin', 'binary'), [new Uint8Array([0, 255, 0]), new Uint8Array(0), null]],
  [field('vec', { list: 'float32', size: 3 }), [[1, 2, 3], [Number.NaN, 0, -1], null]],
  [field('tags', { list: 'int64', size: null }), [[1n, 2n ** 60n], [], null]],
  [field('ts', 'timestamp[ms]'), [new Date('2024-01-02T03:04:05.678Z'), new Date(0), null]],
  [field('place', PLACE), [{ lat: 48.85, name: 'Paris', tags: [1n, 2n] }, { lat: Number.NaN, name: null, tags: [] }, null]],
  [field('route', { list: PLACE, size: null }), [[{ lat: 1.5, name: 'a', tags: [3n] }, { lat: -0, name: '', tags: [] }], [], null]],
]

function layoutFor(ns: string, ttlMs: number | null = null): OnlineLayout {
  return {
    set: 'things', namespace: ns, ttlMs,
    keys: [{ name: 'id', type: 'int64', nullable: false }, { name: 'region', type: 'string', nullable: false }],
    fields: FIELDS.map(([f]) => f),
  }
}

const keyCols = (ids: bigint[], regions: string[]) => [col('int64', ids), col('string', regions)]
/** A value read back as plain JS: lists as arrays, structs as objects, recursively. */
const plain = (v: unknown): unknown => {
  if (v instanceof arrow.Vector) return [...v].map(plain)
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date) && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return Object.fromEntries(Object.entries((v as { toJSON(): Record<string, unknown> }).toJSON()).map(([k, x]) => [k, plain(x)]))
  }
  return v
}
const values = (d: arrow.Data) => [...new arrow.Vector([d])].map(plain)

function behaviour(name: string, open: () => Promise<{ store: OnlineStore; ns: string; reopen?: () => OnlineStore } | undefined>) {
  describe(`online store behaviour: ${name}`, () => {
    let store: OnlineStore
    let ns: string
    let reopen: (() => OnlineStore) | undefined
    let skip = false
    before(async () => {
      const got = await open()
      if (!got) return void (skip = true)
      ;({ store, ns, reopen } = got)
    })
    after(async () => store?.close())

    it('keeps every type exactly: int64 past 2^53, uint64, NaN, -0, bytes, lists, structs, nulls', async (t) => {
      if (skip) return t.skip('unavailable')
      const layout = layoutFor(`${ns}:types`)
      const now = BigInt(Date.now())
      await writeOnline(store, layout, keyCols([1n, BIG, -1n], ['eu', 'us', '']), new BigInt64Array([now, now - 5n, now]), FIELDS.map(([f, v]) => col(f.type, v)))
      const got = await readOnline(store, layout, keyCols([BIG, 1n, 7n, -1n], ['us', 'eu', 'eu', '']))
      assert.deepEqual([...got.found], [1, 1, 0, 1])
      assert.deepEqual([...got.eventMs], [now - 5n, now, 0n, now])
      const order = [1, 0, -1, 2]
      for (const [c, [f, v]] of FIELDS.entries()) {
        const expected = order.map((r) => (r < 0 ? null : v[r]))
        const actual = values(got.columns[c]!)
        assert.equal(actual.length, 4, f.name)
        for (let i = 0; i < 4; i++) {
          const e = expected[i]
          const a = actual[i]
          if (e instanceof Date) assert.equal(Number(a), e.getTime(), `${f.name}[${i}]`)
          else if (e instanceof Uint8Array) assert.deepEqual([...(a as Uint8Array)], [...e], `${f.name}[${i}]`)
          else if (typeof e === 'number') assert.ok(Object.is(a, e), `${f.name}[${i}]: ${String(a)} vs ${e}`)
          else if (Array.isArray(e) && typeof e[0] !== 'object') assert.ok(e.every((x, k) => Object.is((a as unknown[])[k], x)) && (a as unknown[]).length === e.length, `${f.name}[${i}]`)
          else if (e !== null && typeof e === 'object') assert.deepStrictEqual(a, e, `${f.name}[${i}]`)
          else assert.equal(a, e, `${f.name}[${i}]`)
        }
      }
      assert.equal(got.columns[0]!.type.toString(), 'Int64')
      assert.equal(got.columns[8]!.type.toString(), 'FixedSizeList[3]<Float32>')
    })

    it('replaces an entity written again, keeps namespaces apart', async (t) => {
      if (skip) return t.skip('unavailable')
      const a = layoutFor(`${ns}:a`)
      const b = layoutFor(`${ns}:b`)
      const one = (x: bigint) => FIELDS.map(([f, v]) => col(f.type, f.name === 'i64' ? [x] : [v[0]]))
      await writeOnline(store, a, keyCols([1n], ['x']), new BigInt64Array([1n]), one(10n))
      await writeOnline(store, a, keyCols([1n], ['x']), new BigInt64Array([2n]), one(20n))
      const got = await readOnline(store, a, keyCols([1n], ['x']))
      assert.equal(values(got.columns[0]!)[0], 20n)
      assert.deepEqual([...(await readOnline(store, b, keyCols([1n], ['x']))).found], [0])
    })

    it('counts values older than the ttl as missing', async (t) => {
      if (skip) return t.skip('unavailable')
      const layout = layoutFor(`${ns}:ttl`, 60_000)
      const now = Date.now()
      const two = FIELDS.map(([f, v]) => col(f.type, v.slice(0, 2)))
      await writeOnline(store, layout, keyCols([1n, 2n], ['x', 'x']), new BigInt64Array([BigInt(now - 10_000), BigInt(now - 120_000)]), two)
      assert.deepEqual([...(await readOnline(store, layout, keyCols([1n, 2n], ['x', 'x']))).found], [1, 0])
      // Read as of later: the first one has passed its ttl too.
      assert.deepEqual([...(await readOnline(store, layout, keyCols([1n, 2n], ['x', 'x']), now + 55_000)).found], [0, 0])
    })

    it('writes and reads many entities in bulk', async (t) => {
      if (skip) return t.skip('unavailable')
      const layout: OnlineLayout = { set: 'n', namespace: `${ns}:bulk`, ttlMs: null, keys: [{ name: 'id', type: 'int64', nullable: false }], fields: [field('x', 'float64')] }
      const n = 20_000
      const ids = Array.from({ length: n }, (_, i) => BigInt(i))
      await writeOnline(store, layout, [col('int64', ids)], new BigInt64Array(n), [col('float64', ids.map((i) => Number(i) / 2))])
      const got = await readOnline(store, layout, [col('int64', [0n, 19_999n, 20_000n])])
      assert.deepEqual([...got.found], [1, 1, 0])
      assert.deepEqual(values(got.columns[0]!), [0, 9999.5, null])
    })

    it('is read back by a store opened afresh', async (t) => {
      if (skip || !reopen) return t.skip(skip ? 'unavailable' : 'nothing to reopen')
      const layout = layoutFor(`${ns}:types`)
      await store.flush()
      const fresh = reopen()
      try {
        const got = await readOnline(fresh, layout, keyCols([BIG], ['us']))
        assert.deepEqual([...got.found], [1])
        assert.equal(values(got.columns[0]!)[0], -(2n ** 53n) - 1n)
      } finally {
        await fresh.close()
      }
    })
  })
}

let dir: string
before(async () => {
  dir = await makeTemp('quiver-online-')
})
after(async () => removeTemp(dir))

behaviour('embedded', async () => {
  const d = join(dir, 'online')
  return { store: new EmbeddedOnlineStore(d), ns: 'default:test', reopen: () => new EmbeddedOnlineStore(d) }
})

const redisNs = `test-${randomUUID()}`
behaviour('redis', async () => {
  if (await redisSkipReason('Redis online store tests')) return undefined
  after(() => deleteRedisKeys(`quiver:${redisNs}`))
  return { store: new RedisOnlineStore(TEST_REDIS_URL), ns: redisNs, reopen: () => new RedisOnlineStore(TEST_REDIS_URL) }
})

/** A TCP proxy to Redis that can be stopped and started on the same port. */
class Proxy {
  server: Server | undefined
  sockets = new Set<Socket>()
  constructor(readonly port: number, readonly target: URL) {}
  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => this.sockets.delete(s))
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve))
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

describe('Redis down during a read', () => {
  it('answers NotReady at once, and reads again when Redis is back without a new store', async (t) => {
    if (await redisSkipReason('Redis outage test')) return t.skip('Redis unavailable')
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const proxy = new Proxy(port, new URL(TEST_REDIS_URL))
    const store = new RedisOnlineStore(`redis://127.0.0.1:${port}`)
    const layout: OnlineLayout = { set: 'n', namespace: `${redisNs}:outage`, ttlMs: null, keys: [{ name: 'id', type: 'int64', nullable: false }], fields: [field('x', 'int64')] }
    const keys = [col('int64', [1n])]
    try {
      const started = performance.now()
      await assert.rejects(readOnline(store, layout, keys), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'not_ready')
        assert.match(err.message, /online store \(Redis at redis:\/\/127\.0\.0\.1:\d+\/?\) is unreachable/)
        return true
      })
      assert.ok(performance.now() - started < 5000, 'fails fast')
      await proxy.start()
      const direct = new RedisOnlineStore(TEST_REDIS_URL)
      await writeOnline(direct, layout, keys, new BigInt64Array(1), [col('int64', [42n])]).finally(() => direct.close())
      let got
      for (let i = 0; i < 100 && !got; i++) {
        got = await readOnline(store, layout, keys).catch(async () => new Promise((r) => setTimeout(() => r(undefined), 100)))
      }
      assert.ok(got, 'reads once Redis is reachable again')
      assert.equal(values((got as { columns: arrow.Data[] }).columns[0]!)[0], 42n)
      await proxy.stop()
      await assert.rejects(readOnline(store, layout, keys), (err: Error & { code?: string }) => err.code === 'not_ready')
      await proxy.start()
      let back
      for (let i = 0; i < 100 && !back; i++) {
        back = await readOnline(store, layout, keys).catch(async () => new Promise((r) => setTimeout(() => r(undefined), 100)))
      }
      assert.ok(back, 'recovers after a second outage')
    } finally {
      await store.close()
      await proxy.stop()
    }
  })
})
