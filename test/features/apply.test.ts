import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { FeatureApi } from '../../src/api/feature-api.js'
import { Quiver } from '../../src/client/index.js'
import type { FeatureSetDefinition } from '../../src/features/definition.js'
import { createApp } from '../../src/server/app.js'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { citiesDef, featureWorld, usersDef, writeParquet, type FeatureWorld } from './feature-fixtures.js'

for (const door of ['in process', 'SDK over HTTP'] as const) describe(`features apply, ${door}`, () => {
  let w: FeatureWorld
  let server: RunningServer | undefined
  let features: FeatureApi
  before(async () => {
    w = await featureWorld()
    if (door === 'in process') features = w.api.features
    else {
      server = await startServer(createApp({ api: w.api }).app, { host: '127.0.0.1', port: 0 })
      features = new Quiver({ url: server.url }).features
    }
  })
  after(async () => {
    await server?.close()
    await w?.close()
  })

  const refused = async (defs: unknown[], code: string, pattern: RegExp) => {
    const before = await features.list()
    await assert.rejects(features.apply(defs), (err: Error & { code?: string }) => {
      assert.equal(err.code, code, err.message)
      assert.equal(err.name, code === 'not_found' ? 'NotFound' : 'InvalidInput')
      assert.match(err.message, pattern)
      return true
    })
    assert.deepEqual(await features.list(), before, 'a refused apply stores nothing')
  }

  it('applies related sets together, versions changes and skips unchanged definitions', async () => {
    const first = await features.apply([citiesDef(w.dir), usersDef(w.dir)])
    assert.deepEqual(first.map((a) => [a.name, a.version, a.changed]), [['cities', 1, true], ['users', 1, true]])
    assert.deepEqual(first[1]!.record.keys, [{ name: 'user_id', type: 'int64', nullable: false }])
    const again = await features.apply([usersDef(w.dir)])
    assert.deepEqual(again.map((a) => [a.name, a.version, a.changed]), [['users', 1, false]])
    const changed = usersDef(w.dir)
    changed.ttl = '30d'
    const second = await features.apply([changed])
    assert.deepEqual(second.map((a) => [a.version, a.changed]), [[2, true]])
    assert.equal((await features.show('users')).definition.ttl, '30d')
    assert.equal((await features.show('users', { version: 1 })).definition.ttl, undefined)
    assert.deepEqual((await features.list()).map((s) => [s.name, s.version]), [['cities', 1], ['users', 2]])
  })

  const withFeature = (f: FeatureSetDefinition['features'][number]): FeatureSetDefinition => {
    const d = usersDef(w.dir)
    d.name = 'bad-users'
    d.features = [...d.features.filter((x) => !x.inference), f]
    return d
  }

  it('refuses an unknown feature, naming the path', () =>
    refused([withFeature({ name: 'r', type: 'float32', inference: { model: 'risk', inputs: ['age', 10, 'salary'] } })], 'not_found',
      /bad-users\.r\.inference\.inputs\[2\]: unknown feature 'salary'/))

  it('refuses an unknown model', () =>
    refused([withFeature({ name: 'r', type: 'float32', inference: { model: 'no-such-model', inputs: ['age', 10, 'income'] } })], 'not_found',
      /bad-users\.r\.inference\.model: unknown model "no-such-model"/))

  it('refuses an unknown related set', () =>
    refused([withFeature({ name: 'r', type: 'float32', inference: { model: 'risk', inputs: ['towns.x', 1, 2] } })], 'not_found',
      /feature set 'towns' does not exist/))

  it('refuses a model output type that differs from the declared type', () =>
    refused([withFeature({ name: 'r', type: 'float64', inference: { model: 'risk', inputs: ['age', 10, 'income'] } })], 'invalid_input',
      /bad-users\.r: declared float64 but risk#1 output 'score' is float32/))

  it('refuses inputs that do not fill the model input', () =>
    refused([withFeature({ name: 'r', type: 'float32', inference: { model: 'risk', inputs: ['age', 'income'] } })], 'invalid_input',
      /bad-users\.r\.inference\.inputs: input field 'inputs' takes 3 values: model expects list<float32>\[3\], got 2 values/))

  it('refuses a derived-feature cycle, naming it', () => {
    const d = usersDef(w.dir)
    d.name = 'loop'
    d.features = [
      ...d.features.filter((x) => !x.inference),
      { name: 'a', type: 'float32', inference: { model: 'risk', inputs: ['b', 1, 2] } },
      { name: 'b', type: 'float32', inference: { model: 'risk', inputs: ['age', 'a', 2] } },
    ]
    return refused([d], 'invalid_input', /cycle: loop\.a → loop\.b → loop\.a/)
  })

  it('refuses a missing source file', () => {
    const d = usersDef(w.dir)
    d.source = { path: join(w.dir, 'nope.parquet') }
    return refused([d], 'invalid_input', /users\.source: source .*nope\.parquet does not exist/)
  })

  it('refuses a source column of the wrong type', async () => {
    await writeParquet(join(w.dir, 'text-age.parquet'), `SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS ts, 'old'::VARCHAR AS age, 1.0::DOUBLE AS income, 7::BIGINT AS city_id`)
    const d = usersDef(w.dir)
    d.source = { path: join(w.dir, 'text-age.parquet') }
    return refused([d], 'invalid_input', /base feature 'age' is declared int64 but column 'age' of .*text-age\.parquet is string/)
  })

  it('refuses a malformed definition by field', () =>
    refused([{ name: 'x', entity: [], event_time: 'ts', source: { path: 'a.parquet' }, features: [] }], 'invalid_input', /x\.entity: must list one or more key columns/))
})
