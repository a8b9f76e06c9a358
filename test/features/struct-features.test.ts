/** Struct-typed base features served online: materialized from Parquet, fetched as JSON and as Avro, on both stores. */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { avroType } from '../../src/features/avro.js'
import { createApp } from '../../src/server/app.js'
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_URL } from '../helpers/redis.js'
import { featureWorld, writeParquet, type FeatureWorld } from './feature-fixtures.js'

const PLACES_SQL = `SELECT * FROM (VALUES
  (1::BIGINT, TIMESTAMP '2024-01-01', {'lat': 48.85::DOUBLE, 'name': 'Paris'}, [{'lat': 1.5::DOUBLE, 'name': 'a'}, {'lat': -2.0::DOUBLE, 'name': NULL}]),
  (1::BIGINT, TIMESTAMP '2024-02-01', {'lat': 51.5::DOUBLE, 'name': 'London'}, []),
  (2::BIGINT, TIMESTAMP '2024-01-01', {'lat': NULL::DOUBLE, 'name': 'Nowhere'}, NULL),
  (3::BIGINT, TIMESTAMP '2024-01-01', NULL, [{'lat': 0.25::DOUBLE, 'name': 'z'}])
) AS t (id, ts, home, trips)`

const PLACE = { struct: [{ name: 'lat', type: 'float64' }, { name: 'name', type: 'string' }] }

for (const store of ['embedded', 'redis'] as const) {
  describe(`struct features online, ${store} store`, () => {
    let w: FeatureWorld
    let skip = false
    const prefix = `test-${randomUUID()}`
    before(async () => {
      if (store === 'redis' && (await redisSkipReason('struct features on Redis'))) return void (skip = true)
      w = await featureWorld({ models: [] })
      const saved = [process.env.QUIVER_REDIS_URL, process.env.QUIVER_REDIS_PREFIX]
      if (store === 'redis') process.env.QUIVER_REDIS_URL = TEST_REDIS_URL
      else delete process.env.QUIVER_REDIS_URL
      process.env.QUIVER_REDIS_PREFIX = prefix
      void w.api.features.online
      for (const [k, v] of [['QUIVER_REDIS_URL', saved[0]], ['QUIVER_REDIS_PREFIX', saved[1]]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      await writeParquet(join(w.dir, 'places.parquet'), PLACES_SQL)
      await w.api.features.apply([{
        name: 'places', entity: ['id'], event_time: 'ts', source: { path: join(w.dir, 'places.parquet') },
        features: [{ name: 'home', type: PLACE }, { name: 'trips', type: { list: PLACE, size: null } }],
      }])
      assert.equal((await w.api.features.materialize('places')).entities, 3)
    })
    after(async () => {
      await w?.close()
      if (store === 'redis' && !skip) await deleteRedisKeys(prefix)
    })

    it('fetches the latest struct and list-of-struct values as objects, nulls kept', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const [one, two, three, none] = await w.api.features.fetchMany('places', [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }])
      assert.deepEqual(one!.features, { home: { lat: 51.5, name: 'London' }, trips: [] })
      assert.deepEqual(two!.features, { home: { lat: null, name: 'Nowhere' }, trips: null })
      assert.deepEqual(two!.missing, ['trips'])
      assert.deepEqual(three!.features, { home: null, trips: [{ lat: 0.25, name: 'z' }] })
      assert.deepEqual(none!.missing, ['home', 'trips'])
    })

    it('answers Avro with structs as records, decodable with the schema endpoint', async (t) => {
      if (skip) return t.skip('Redis unavailable')
      const { app } = createApp({ api: w.api })
      const schema = await (await app.request('/v1/features/places/schema')).json() as Record<string, unknown>
      const res = await app.request('/v1/features/places/fetch', {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'avro/binary' }, body: JSON.stringify({ keys: [{ id: 1 }, { id: 3 }, { id: 2 }] }),
      })
      assert.equal(res.status, 200)
      const rows = avroType(schema, true).fromBuffer(Buffer.from(await res.arrayBuffer())) as { features: Record<string, unknown> }[]
      // avsc decodes records as instances of generated classes: compared as plain objects.
      assert.deepEqual(JSON.parse(JSON.stringify(rows.map((r) => r.features))), [
        { home: { lat: 51.5, name: 'London' }, trips: [] },
        { home: null, trips: [{ lat: 0.25, name: 'z' }] },
        { home: { lat: null, name: 'Nowhere' }, trips: null },
      ])
    })
  })
}
