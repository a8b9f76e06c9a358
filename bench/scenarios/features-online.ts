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

function materializeRedis(): Scenario {
  let world: Awaited<ReturnType<typeof featureHome>> | undefined
  let n = 1_000_000
  return {
    name: 'materialize-redis',
    budget: { full: { warmup: 0, minIterations: 2, maxIterations: 2, timeMs: 0 }, quick: { warmup: 0, minIterations: 1, maxIterations: 1, timeMs: 0 } },
    async setup() {
      n = process.argv.includes('--quick') ? 100_000 : 1_000_000
      world = await featureHome(n)
    },
    async run() {
      const r = await world!.api.features.materialize('users')
      return r.entities
    },
    notes: () => [`materialize-redis: ${n.toLocaleString('en')} entities per run; target ≥ 200,000 entities/s`],
    async teardown() {
      await world?.api.close()
      if (world) await rm(world.dir, { recursive: true, force: true })
      await dropKeys()
    },
  }
}

export const scenarios: Scenario[] = [redisGetRaw(), fetchInProcess(), materializeRedis()]
