/**
 * Online features on Redis: a bare ioredis GET (the floor) and `fetch` in process, each fetch
 * reading base features and computing one small ONNX derived feature; and `materialize` of 1M
 * entities (100k with --quick) from Parquet into Redis. Fetch over HTTP: features-http.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { buildOnnxModel } from '../../test/fixtures/onnx/build-onnx.js'
import { MODELS, writeParquet } from '../../test/features/feature-fixtures.js'
import type { Scenario } from '../scenario.js'
import { onlineLayout } from '../../src/features/online/online-table.js'
import { RespPipe, writeCommands } from '../../src/features/online/resp-pipe.js'

export const REDIS_URL = process.env.QUIVER_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const PREFIX = `quiver-bench-${process.pid}`
export const ENTITIES = 10_000

async function redisReachable(): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  r.on('error', () => {})
  try {
    await r.connect()
    await r.ping()
  } catch (err) {
    throw new Error(`Redis at ${REDIS_URL} is not reachable (${(err as Error).message})`)
  } finally {
    r.disconnect()
  }
}

export async function dropKeys(): Promise<void> {
  const r = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      // Keys hold binary entity bytes: scanned and deleted as buffers, never as text.
      const [next, keys] = await r.scanBuffer(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 10_000)
      if (keys.length) await r.unlink(...keys)
      cursor = next.toString()
    } while (cursor !== '0')
  } finally {
    r.disconnect()
  }
}

/** Opens Quiver on `home` with the Redis online store under this run's prefix. */
async function openOnRedis(home: string): Promise<LocalQuiverApi> {
  process.env.QUIVER_REDIS_URL = REDIS_URL
  process.env.QUIVER_REDIS_PREFIX = PREFIX
  const api = await createLocalQuiver({ home, databaseUrl: '' })
  void api.features
  return api
}

/** A home with the risk model, a users set of `n` entities (age, income, risk = model(age, 10, income)), materialized. */
export async function featureHome(n: number): Promise<{ dir: string; home: string; api: LocalQuiverApi }> {
  await redisReachable()
  const dir = await mkdtemp(join(tmpdir(), 'quiver-bench-features-'))
  const home = join(dir, 'home')
  const model = join(dir, 'risk.onnx')
  await writeFile(model, buildOnnxModel(MODELS.risk!))
  await writeParquet(join(dir, 'users.parquet'), `SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' + i * INTERVAL 1 SECOND AS ts,
    (i % 90)::BIGINT AS age, (i * 1.5)::DOUBLE AS income FROM range(${n}) t(i)`)
  const api = await openOnRedis(home)
  await api.uploadModel({ name: 'risk', source: { path: model }, framework: 'onnx' })
  await api.features.apply([{
    name: 'users', entity: ['user_id'], event_time: 'ts', source: { path: join(dir, 'users.parquet') },
    features: [{ name: 'age', type: 'int64' }, { name: 'income', type: 'float64' }, { name: 'risk', type: 'float32', inference: { model: 'risk', inputs: ['age', 10, 'income'] } }],
  }])
  await api.features.materialize('users')
  return { dir, home, api }
}

let key = 0
export const nextKey = () => (key = (key * 7919 + 13) % ENTITIES)

function redisGetRaw(): Scenario {
  let r: Redis | undefined
  const keys = Array.from({ length: 1000 }, (_, i) => `${PREFIX}:raw:${i}`)
  return {
    name: 'redis-get-raw',
    async setup() {
      await redisReachable()
      r = new Redis(REDIS_URL)
      await r.mset(keys.flatMap((k) => [k, Buffer.alloc(24, 1)]))
    },
    async run() {
      await r!.getBuffer(keys[nextKey() % keys.length]!)
      return 1
    },
    async teardown() {
      if (r) await r.del(keys)
      r?.disconnect()
    },
  }
}

function fetchInProcess(): Scenario {
  let world: Awaited<ReturnType<typeof featureHome>> | undefined
  return {
    name: 'feature-fetch-inproc',
    rawBaseline: 'redis-get-raw',
    // Thousands of calls before timing: the fetch path is JIT-compiled only after that many.
    budget: { full: { warmup: 5000 }, quick: { warmup: 2000 } },
    async setup() {
      world = await featureHome(ENTITIES)
      const r = await world.api.features.fetch('users', { user_id: 5 })
      if (r.missing.length || typeof r.features.risk !== 'number') throw new Error(`unexpected fetch ${JSON.stringify(r)}`)
    },
    async run() {
      await world!.api.features.fetch('users', { user_id: nextKey() })
      return 1
    },
    async teardown() {
      await world?.api.close()
      if (world) await rm(world.dir, { recursive: true, force: true })
      await dropKeys()
    },
  }
}

/** `n` MSET commands' worth of keys and values shaped as materialize writes them, laid out as RESP before timing. */
function rawMsetCommands(n: number, keyBytes: number, valueBytes: number): { bytes: Buffer; replies: number }[] {
  const out: { bytes: Buffer; replies: number }[] = []
  const chunk = 4096
  const head = Buffer.from(`${PREFIX}:raw-mset:`.padEnd(keyBytes - 8, '-'))
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk)
    const rows = end - start
    const keys = { bytes: Buffer.alloc(rows * keyBytes), ends: new Uint32Array(rows) }
    const values = { bytes: Buffer.alloc(rows * valueBytes, 7), ends: new Uint32Array(rows) }
    for (let i = 0; i < rows; i++) {
      head.copy(keys.bytes, i * keyBytes)
      keys.bytes.writeBigInt64LE(BigInt(start + i), (i + 1) * keyBytes - 8)
      keys.ends[i] = (i + 1) * keyBytes
      values.ends[i] = (i + 1) * valueBytes
    }
    out.push(writeCommands(Buffer.alloc(0), keys, values, null, 0, rows))
  }
  return out
}

/** Sends pre-built commands on one connection, 8 in flight, as materialize does: the floor. */
async function sendRaw(commands: { bytes: Buffer; replies: number }[]): Promise<void> {
  const pipe = await RespPipe.open(REDIS_URL)
  try {
    const sent: Promise<void>[] = []
    for (const c of commands) {
      sent.push(pipe.send(c.bytes, c.replies))
      if (sent.length >= 8) await sent.shift()
    }
    await Promise.all(sent)
  } finally {
    pipe.close()
  }
}

/**
 * Materialize from Parquet into Redis beside its floor, alternated in the same run: the same number
 * of MSET pairs of the same key and value sizes, laid out as RESP beforehand and sent on one
 * connection with as many in flight (no DuckDB, no encoding).
 */
function materializeRedis(): Scenario {
  let world: Awaited<ReturnType<typeof featureHome>> | undefined
  let n = 1_000_000
  const lines: string[] = []
  return {
    name: 'materialize-redis',
    async setup() {
      n = process.argv.includes('--quick') ? 100_000 : 1_000_000
      world = await featureHome(n)
    },
    async measureSelf(quick) {
      const record = await world!.api.features.show('users')
      const layout = onlineLayout(record)
      const keyBytes = Buffer.byteLength(`${PREFIX}:${layout.namespace}:`) + 8
      // Event time, a one-byte null bitmap, age (int64) and income (float64).
      const commands = rawMsetCommands(n, keyBytes, 8 + 1 + 8 + 8)
      const raw: number[] = []
      const ours: number[] = []
      let cpuUs = 0
      for (let round = 0; round < (quick ? 1 : 2); round++) {
        let t0 = performance.now()
        await sendRaw(commands)
        raw.push(n / ((performance.now() - t0) / 1000))
        const cpu0 = process.cpuUsage()
        t0 = performance.now()
        const r = await world!.api.features.materialize('users')
        ours.push(r.entities / ((performance.now() - t0) / 1000))
        const cpu = process.cpuUsage(cpu0)
        cpuUs += cpu.user + cpu.system
      }
      const best = (xs: number[]) => Math.max(...xs)
      lines.length = 0
      lines.push(`${n.toLocaleString('en')} entities per run (best of ${ours.length}): materialize ${Math.round(best(ours)).toLocaleString('en')}/s (target ≥ 200,000), ` +
        `raw pipelined MSET of the same pairs ${Math.round(best(raw)).toLocaleString('en')}/s; ratio raw ÷ materialize ${(best(raw) / best(ours)).toFixed(2)}×; ` +
        `materialize CPU ${(cpuUs / ours.length / n).toFixed(2)} µs per entity in this process (DuckDB threads included)`)
      return { name: 'materialize-redis', iterations: ours.length, rows: n * ours.length, rows_per_s: best(ours), p50_us: Number.NaN, p99_us: Number.NaN }
    },
    async run() {
      return (await world!.api.features.materialize('users')).entities
    },
    notes: () => lines,
    async teardown() {
      await world?.api.close()
      if (world) await rm(world.dir, { recursive: true, force: true })
      await dropKeys()
    },
  }
}

export const scenarios: Scenario[] = [redisGetRaw(), fetchInProcess(), materializeRedis()]
