import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { FeatureApi, FetchResult } from '../../src/api/feature-api.js'
import { Quiver } from '../../src/client/index.js'
import { avroType } from '../../src/features/avro.js'
import { createApp } from '../../src/server/app.js'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { buildOnnxModel } from '../fixtures/onnx/build-onnx.js'
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_URL } from '../helpers/redis.js'
import { citiesDef, featureWorld, MODELS, riskOf, usersDef, type FeatureWorld } from './feature-fixtures.js'

const DERIVED = ['risk', 'emb', 'fraud', 'city_risk']

/** Opens the world's feature API with the online store chosen by the environment at that moment. */
function withStoreEnv<T>(redisUrl: string | undefined, prefix: string, open: () => T): T {
  const saved = [process.env.QUIVER_REDIS_URL, process.env.QUIVER_REDIS_PREFIX]
  if (redisUrl) process.env.QUIVER_REDIS_URL = redisUrl
  else delete process.env.QUIVER_REDIS_URL
  process.env.QUIVER_REDIS_PREFIX = prefix
  try {
    return open()
  } finally {
    if (saved[0] === undefined) delete process.env.QUIVER_REDIS_URL
    else process.env.QUIVER_REDIS_URL = saved[0]
    if (saved[1] === undefined) delete process.env.QUIVER_REDIS_PREFIX
    else process.env.QUIVER_REDIS_PREFIX = saved[1]
  }
}

for (const store of ['embedded', 'redis'] as const) for (const door of ['in process', 'SDK over HTTP'] as const) {
  describe(`online fetch, ${store} store, ${door}`, () => {
    let w: FeatureWorld
    let server: RunningServer | undefined
    let app: ReturnType<typeof createApp>['app'] | undefined
    /** Requests the fast lane took (it answers fetch and fetch-inference before the app). */
    let taken = 0
    let features: FeatureApi
    let skip = false
    const prefix = `test-${randomUUID()}`
    before(async () => {
      if (store === 'redis' && (await redisSkipReason('online fetch on Redis'))) return void (skip = true)
      w = await featureWorld()
      withStoreEnv(store === 'redis' ? TEST_REDIS_URL : undefined, prefix, () => w.api.features)
      if (door === 'in process') features = w.api.features
      else {
        const made = createApp({ api: w.api })
        const lane = made.fastLane!
        app = made.app
        server = await startServer(app, { host: '127.0.0.1', port: 0, fastLane: (req, res) => lane(req, res) && ++taken > 0 })
        features = new Quiver({ url: server.url }).features
      }
      await features.apply([citiesDef(w.dir), usersDef(w.dir)])
    })
    after(async () => {
      await server?.close()
      await w?.close()
      if (store === 'redis' && !skip) await deleteRedisKeys(prefix)
    })

    it('materializes the latest value per entity within the window', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const early = await features.materialize('users', { end: '2024-01-15T00:00:00Z' })
      assert.equal(early.entities, 2)
      assert.equal(early.store, store)
      const r = await features.fetch('users', { user_id: 1 }, { features: ['age', 'income'] })
      assert.deepEqual(r.features, { age: 30, income: 1000 })
      assert.deepEqual((await features.fetch('users', { user_id: 3 }, { features: ['age'] })).missing, ['age'])
      const all = await features.materialize('users')
      assert.equal(all.entities, 3)
      assert.equal((await features.materialize('cities', { start: Date.parse('2023-01-01') })).entities, 2)
    })

    it('fetches base and derived features, chains and related sets included, naming the model versions', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const r = await features.fetch('users', { user_id: 1 })
      assert.deepEqual(r.keys, { user_id: 1 })
      const risk = riskOf(31, 10, 1200)
      assert.equal(r.features.age, 31)
      assert.equal(r.features.income, 1200)
      assert.equal(r.features.risk, risk)
      assert.equal((r.features.emb as number[]).length, 3)
      assert.equal(typeof r.features.fraud, 'number')
      assert.equal(r.features.city_risk, riskOf(2, risk, 1))
      assert.deepEqual(r.missing, [])
      assert.deepEqual(Object.keys(r.models).sort(), [...DERIVED].sort())
      assert.match(r.models.fraud!, /^score:[0-9a-f-]{36}$/)
    })

    it('lists missing values and missing entities per key, without failing', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const [three, nobody, two] = await features.fetchMany('users', [{ user_id: 3 }, { user_id: 99 }, { user_id: 2 }])
      assert.deepEqual(three!.missing, ['income', ...DERIVED])
      assert.equal(three!.features.age, 50)
      assert.deepEqual(nobody!.missing, ['age', 'income', 'city_id', ...DERIVED])
      assert.deepEqual(nobody!.keys, { user_id: 99 })
      assert.deepEqual(two!.missing, [])
      assert.equal(two!.features.city_risk, riskOf(4, riskOf(40, 10, 5000), 1))
    })

    it('returns only the features asked for', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const r = await features.fetch('users', { user_id: 2 }, { features: ['fraud', 'age'] })
      assert.deepEqual(Object.keys(r.features), ['fraud', 'age'])
      assert.deepEqual(Object.keys(r.models), ['fraud'])
    })

    it('computes a model alone for entity keys (fetch-inference)', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const [r] = await features.fetchInference('risk#1', [{ user_id: 1 }])
      assert.deepEqual(Object.keys(r!.features), ['risk', 'city_risk'])
      assert.equal(r!.features.risk, riskOf(31, 10, 1200))
      await assert.rejects(features.fetchInference('no-model', [{ user_id: 1 }]), (err: Error & { code?: string }) => err.code === 'not_found')
    })

    it('refuses an unknown feature and a key of the wrong type, naming them', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      await assert.rejects(features.fetch('users', { user_id: 1 }, { features: ['age', 'salary'] }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_input')
        assert.match(err.message, /unknown feature 'salary' in feature set users/)
        return true
      })
      await assert.rejects(features.fetch('users', { user_id: 'abc' }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_input')
        assert.match(err.message, /keys\.user_id/)
        assert.match(err.message, /int64/)
        return true
      })
      await assert.rejects(features.fetch('users', { city_id: 1 }), (err: Error & { code?: string }) => err.code === 'invalid_input' && /city_id' is not an entity key/.test(err.message))
    })

    if (door === 'SDK over HTTP') {
      it('answers Avro binary on Accept: avro/binary, decodable with the schema endpoint', async (t) => {
        if (skip) return t.skip('Redis unavailable')
        const schema = await (await fetch(`${server!.url}/v1/features/users/schema`)).json() as Record<string, unknown>
        const res = await fetch(`${server!.url}/v1/features/users/fetch`, {
          method: 'POST', headers: { 'content-type': 'application/json', accept: 'avro/binary' }, body: JSON.stringify({ keys: { user_id: 3 } }),
        })
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('content-type'), 'avro/binary')
        const decoded = avroType(schema).fromBuffer(Buffer.from(await res.arrayBuffer())) as { keys: { user_id: bigint }; features: Record<string, unknown> } & FetchResult
        const json = await features.fetch('users', { user_id: 3 })
        assert.equal(decoded.keys.user_id, 3n)
        assert.equal(decoded.features.age, 50n)
        assert.equal(decoded.features.income, null)
        assert.deepEqual(decoded.missing, json.missing)
        const many = await fetch(`${server!.url}/v1/features/users/fetch`, {
          method: 'POST', headers: { 'content-type': 'application/json', accept: 'avro/binary' }, body: JSON.stringify({ keys: [{ user_id: 1 }, { user_id: 2 }], features: ['risk'] }),
        })
        const subset = await (await fetch(`${server!.url}/v1/features/users/schema?features=risk`)).json() as Record<string, unknown>
        const rows = avroType(subset, true).fromBuffer(Buffer.from(await many.arrayBuffer())) as { features: { risk: number } }[]
        assert.deepEqual(rows.map((r) => r.features.risk), [riskOf(31, 10, 1200), riskOf(40, 10, 5000)])

        // fetch-inference: the schema of the features whose inference names the model, by their declared types.
        const inferred = await fetch(`${server!.url}/v1/models/risk%231/fetch-inference`, {
          method: 'POST', headers: { 'content-type': 'application/json', accept: 'avro/binary' }, body: JSON.stringify({ keys: [{ user_id: 1 }, { user_id: 99 }] }),
        })
        assert.equal(inferred.status, 200)
        const riskSchema = await (await fetch(`${server!.url}/v1/features/users/schema?features=risk,city_risk`)).json() as Record<string, unknown>
        const scored = avroType(riskSchema, true).fromBuffer(Buffer.from(await inferred.arrayBuffer())) as ({ features: { risk: number | null; city_risk: number | null } } & FetchResult)[]
        assert.deepEqual(scored.map((r) => r.features.risk), [riskOf(31, 10, 1200), null])
        assert.deepEqual(scored[1]!.missing, ['risk', 'city_risk'])
      })

      it('answers fetch and fetch-inference off the fast lane exactly as the app does', async (t) => {
        if (skip) return t.skip('Redis unavailable')
        const json = { 'content-type': 'application/json' }
        const cases: { path: string; method?: string; body?: string; headers?: Record<string, string> }[] = [
          { path: '/v1/features/users/fetch', body: '{"keys":{"user_id":1}}', headers: json },
          { path: '/v1/features/users/fetch', body: '{"keys":[{"user_id":3},{"user_id":99}],"features":["risk","age"]}', headers: json },
          { path: '/v1/features/users/fetch/', body: '{"keys":{"user_id":2}}', headers: { ...json, accept: 'avro/binary' } },
          { path: '/v1/features/users/fetch?user_id=2&features=age,risk', method: 'GET' },
          { path: '/v1/features/users/fetch?user_id=abc', method: 'GET' },
          { path: '/v1/features/nope/fetch', body: '{"keys":{"user_id":1}}', headers: json },
          { path: '/v1/features/users/fetch', body: '{"keys":', headers: json },
          { path: '/v1/models/risk%231/fetch-inference', body: '{"keys":[{"user_id":1}]}', headers: json },
          { path: '/v1/models/risk/fetch-inference', body: '{"keys":{"user_id":2}}', headers: { ...json, accept: 'avro/binary' } },
          { path: '/v1/models/no-model/fetch-inference', body: '{"keys":{"user_id":1}}', headers: json },
        ]
        for (const c of cases) {
          const init = { method: c.method ?? 'POST', body: c.body, headers: c.headers }
          const before = taken
          const viaApp = await app!.request(c.path, init)
          const viaLane = await fetch(`${server!.url}${c.path}`, init)
          assert.equal(taken, before + 1, `the lane took ${init.method} ${c.path}`)
          assert.equal(viaLane.status, viaApp.status, c.path)
          assert.equal(viaLane.headers.get('content-type'), viaApp.headers.get('content-type'), c.path)
          assert.deepEqual(Buffer.from(await viaLane.arrayBuffer()), Buffer.from(await viaApp.arrayBuffer()), `${init.method} ${c.path} ${c.body ?? ''}`)
        }
        const metrics = await (await fetch(`${server!.url}/metrics`)).text()
        assert.match(metrics, /quiver_http_requests_total\{[^}]*route="\/v1\/features\/:set\/fetch"[^}]*status="200"[^}]*\} [1-9]/)
        assert.match(metrics, /quiver_http_requests_total\{[^}]*route="\/v1\/models\/:ref\/fetch-inference"[^}]*status="200"[^}]*\} [1-9]/)
      })

      it('fetches with GET and query parameters as keys', async (t) => {
        if (skip) return t.skip('Redis unavailable')
        const res = await fetch(`${server!.url}/v1/features/users/fetch?user_id=2&features=age,risk`)
        assert.equal(res.status, 200)
        assert.deepEqual(await res.json(), { keys: { user_id: 2 }, features: { age: 40, risk: riskOf(40, 10, 5000) }, models: { risk: (await features.fetch('users', { user_id: 2 })).models.risk }, missing: [] })
      })
    }

    it('refuses a model version whose output type no longer matches the declared type', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const spec = structuredClone(MODELS.risk!)
      spec.outputs = [{ name: 'score', type: 'float64', shape: ['batch'] }]
      spec.nodes = [...spec.nodes.map((n) => (n.op === 'ReduceSum' ? { ...n, outputs: ['narrow'] } : n)), { op: 'Cast', inputs: ['narrow'], outputs: ['score'], attrs: { to: { int: 11 } } }]
      const file = join(w.dir, `risk64-${store}.onnx`)
      await writeFile(file, buildOnnxModel(spec))
      await w.api.uploadModel({ name: 'risk', source: { path: file }, framework: 'onnx' })
      await assert.rejects(features.fetch('users', { user_id: 1 }, { features: ['risk'] }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'conflict')
        assert.match(err.message, /users\.risk: declared float32 but risk#\d+ output 'score' is float64/)
        return true
      })
    })
  })
}

describe('online fetch while Redis is down', () => {
  let w: FeatureWorld
  let server: RunningServer
  before(async () => {
    w = await featureWorld({ models: ['risk', 'embed', 'score'] })
    withStoreEnv('redis://127.0.0.1:1', 'down', () => w.api.features)
    await w.api.features.apply([citiesDef(w.dir), usersDef(w.dir)])
    server = await startServer(createApp({ api: w.api }).app, { host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await server?.close()
    await w?.close()
  })

  it('answers 503 with a clear message', async () => {
    const res = await fetch(`${server.url}/v1/features/users/fetch?user_id=1`)
    assert.equal(res.status, 503)
    const body = await res.json() as { error: { code: string; message: string } }
    assert.equal(body.error.code, 'not_ready')
    assert.match(body.error.message, /online store \(Redis at redis:\/\/127\.0\.0\.1:1\/?\) is unreachable/)
  })
})
