/**
 * Batch enrichment and point-in-time training sets over Parquet/CSV files, with data built so that
 * a leak, an off-by-one at equal timestamps, a lost spine order or a derived feature computed from
 * later inputs each changes the result.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { queryTable } from '../../src/data/duckdb/arrow-query.js'
import { computeDerived } from '../../src/features/derived.js'
import { formatLineage } from '../../src/features/lineage-graph.js'
import { runCli } from '../helpers/cli.js'
import { citiesDef, f32, featureWorld, riskOf, usersDef, writeParquet, type FeatureWorld } from './feature-fixtures.js'

/** User 1 changes at 10:00, 12:00 and 14:00; user 2 once at 11:00; cities 7 at 09:00 and 13:00. */
const USERS = `SELECT * FROM (VALUES
  (1::BIGINT, TIMESTAMP '2024-05-01 10:00:00', 30::BIGINT, 1000.0::DOUBLE, 7::BIGINT),
  (1::BIGINT, TIMESTAMP '2024-05-01 12:00:00', 31::BIGINT, 1200.0::DOUBLE, 7::BIGINT),
  (1::BIGINT, TIMESTAMP '2024-05-01 14:00:00', 99::BIGINT, 9900.0::DOUBLE, 7::BIGINT),
  (2::BIGINT, TIMESTAMP '2024-05-01 11:00:00', 40::BIGINT, 5000.0::DOUBLE, 7::BIGINT)
) AS t (user_id, ts, age, income, city_id)`
const CITIES = `SELECT * FROM (VALUES
  (7::BIGINT, TIMESTAMP '2024-05-01 09:00:00', 2.0::DOUBLE),
  (7::BIGINT, TIMESTAMP '2024-05-01 13:00:00', 8.0::DOUBLE)
) AS t (city_id, ts, risk_base)`
/** Spine out of time order, with a label and an extra column; row k has note 'r<k>'. */
const SPINE = `SELECT * FROM (VALUES
  (1::BIGINT, TIMESTAMP '2024-05-01 12:00:00', 1::INTEGER, 'r0'),
  (1::BIGINT, TIMESTAMP '2024-05-01 11:59:59.999', 0::INTEGER, 'r1'),
  (2::BIGINT, TIMESTAMP '2024-05-01 10:59:59', 0::INTEGER, 'r2'),
  (1::BIGINT, TIMESTAMP '2024-05-01 09:00:00', 1::INTEGER, 'r3'),
  (1::BIGINT, TIMESTAMP '2024-05-01 13:30:00', 0::INTEGER, 'r4'),
  (3::BIGINT, TIMESTAMP '2024-05-01 15:00:00', 1::INTEGER, 'r5'),
  (2::BIGINT, TIMESTAMP '2024-05-01 12:00:00', 1::INTEGER, 'r6')
) AS t (user_id, ts, label, note)`

const rowsOf = async (path: string) => (await queryTable(`SELECT * FROM '${path}'`)).toArray().map((r) => r.toJSON() as Record<string, unknown>)
const num = (v: unknown) => (v === null ? null : Number(v))

describe('offline features: enrich and point-in-time training sets', () => {
  let w: FeatureWorld
  before(async () => {
    w = await featureWorld()
    await writeParquet(join(w.dir, 'users.parquet'), USERS)
    await writeParquet(join(w.dir, 'cities.parquet'), CITIES)
    await writeParquet(join(w.dir, 'spine.parquet'), SPINE)
    await w.api.features.apply([citiesDef(w.dir), usersDef(w.dir)])
  })
  after(async () => w?.close())

  it('joins each spine row to the latest values at or before its time, in spine order, derived features from those values', async () => {
    const out = join(w.dir, 'train.parquet')
    const r = await w.api.features.trainingSet({ spine: join(w.dir, 'spine.parquet'), features: ['users.age', 'users.income', 'users.risk', 'users.city_risk'], label: 'label', output: out })
    assert.equal(r.rows, 7)
    const rows = await rowsOf(out)
    assert.deepEqual(Object.keys(rows[0]!), ['user_id', 'ts', 'label', 'note', 'users.age', 'users.income', 'users.risk', 'users.city_risk'])
    assert.deepEqual(rows.map((x) => x.note), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
    // r0 at exactly 12:00 sees the 12:00 row; r1 a millisecond before sees 10:00; r4 at 13:30 never sees 14:00.
    assert.deepEqual(rows.map((x) => num(x['users.age'])), [31, 30, null, null, 31, null, 40])
    assert.deepEqual(rows.map((x) => num(x['users.income'])), [1200, 1000, null, null, 1200, null, 5000])
    const risk = rows.map((x) => x['users.risk'] as number | null)
    assert.deepEqual(risk, [riskOf(31, 10, 1200), riskOf(30, 10, 1000), null, null, riskOf(31, 10, 1200), null, riskOf(40, 10, 5000)])
    // city_risk reads cities.risk_base as of the spine time too: 2.0 before 13:00, 8.0 after.
    const cityRisk = rows.map((x) => x['users.city_risk'] as number | null)
    assert.equal(cityRisk[0], riskOf(2, risk[0]!, 1))
    assert.equal(cityRisk[4], riskOf(8, risk[4]!, 1))
    assert.equal(cityRisk[2], null)
    assert.ok(r.models['users.risk']?.startsWith('risk:'))
  })

  it('honours --window: only values newer than the spine time minus the window', async () => {
    const out = join(w.dir, 'window.csv')
    await w.api.features.trainingSet({ spine: join(w.dir, 'spine.parquet'), features: ['users.age'], window: '90m', output: out })
    const rows = await rowsOf(out)
    // r0: 12:00 row is 0 min old; r1: 10:00 row is 119 min old → null; r4: 12:00 row 90 min old exactly → null; r6: 60 min.
    assert.deepEqual(rows.map((x) => num(x['users.age'])), [31, null, null, null, null, null, 40])
  })

  it('enriches a file with derived features equal to computeDerived on the same rows, and with one model', async () => {
    const input = join(w.dir, 'base.parquet')
    await writeParquet(input, `SELECT i::BIGINT AS user_id, (20 + i % 50)::BIGINT AS age, (100.0 * i)::DOUBLE AS income FROM range(70000) t(i)`)
    const out = join(w.dir, 'enriched.arrow')
    const r = await w.api.features.enrich({ input, output: out, features: ['users.risk', 'users.fraud'] })
    assert.equal(r.rows, 70000)
    const got = await queryTable(`SELECT * FROM '${input}'`)
    const { table: want } = await computeDerived(usersDef(w.dir), got, ['risk', 'fraud'], w.api.inference)
    const back = arrow.tableFromIPC(await (await import('node:fs/promises')).readFile(out))
    assert.deepEqual(Array.from(back.getChild('users.risk')!.toArray() as Float32Array), Array.from(want.getChild('risk')!.toArray() as Float32Array))
    assert.deepEqual(Array.from(back.getChild('users.fraud')!.toArray() as Float32Array), Array.from(want.getChild('fraud')!.toArray() as Float32Array))
    assert.equal(back.getChild('users.risk')!.get(3), riskOf(23, 10, 300))

    // Parquet out: the input read by DuckDB joined by position to the added columns, in the same order.
    const pq = join(w.dir, 'enriched.parquet')
    await w.api.features.enrich({ input, output: pq, features: ['users.risk', 'users.fraud'] })
    const joined = await queryTable(`SELECT * FROM '${pq}'`)
    assert.deepEqual(joined.schema.fields.map((f) => f.name), ['user_id', 'age', 'income', 'users.risk', 'users.fraud'])
    assert.deepEqual(Array.from(joined.getChild('user_id')!.toArray() as BigInt64Array), Array.from({ length: 70000 }, (_, i) => BigInt(i)))
    assert.deepEqual(Array.from(joined.getChild('users.risk')!.toArray() as Float32Array), Array.from(back.getChild('users.risk')!.toArray() as Float32Array))

    const one = join(w.dir, 'one.csv')
    await writeParquet(join(w.dir, 'abc.parquet'), `SELECT 1.0::DOUBLE AS a, 2.0::DOUBLE AS b, 4.0::DOUBLE AS c UNION ALL SELECT 3.0, 1.0, 0.5`)
    await w.api.features.enrich({ input: join(w.dir, 'abc.parquet'), output: one, model: 'score', inputs: ['a', 'b', 'c'], as: 's' })
    assert.deepEqual((await rowsOf(one)).map((x) => x.s), [f32(1 - 2 + 2), f32(3 - 1 + 0.25)])

    // Each output is recorded downstream of its input, the features asked for and the model versions that computed them.
    const up = await w.api.features.lineage(out, { direction: 'upstream' })
    assert.deepEqual(up.root, [`enriched_table:${out}`])
    const from = (relation: string) => up.edges.filter((e) => e.to === `enriched_table:${out}` && e.relation === relation).map((e) => e.from).sort()
    assert.deepEqual(from('input_of'), [`source:${input}`])
    assert.deepEqual(from('feature_of'), ['feature:users.fraud', 'feature:users.risk'])
    assert.deepEqual(from('computes').map((m) => m.replace(/:[0-9a-f-]{36}$/, '')), ['model_version:risk', 'model_version:score'])
    const scored = await w.api.features.lineage('score', { direction: 'downstream' })
    assert.ok(scored.nodes.some((n) => n.kind === 'enriched_table' && n.ref === one), 'the one-model form is recorded under its model')
  })

  it('enriches the latest source rows to exactly what online fetch answers after materialize', async () => {
    await w.api.features.materialize('users')
    const latest = join(w.dir, 'latest.parquet')
    await writeParquet(latest, `SELECT * FROM (${USERS}) QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts DESC) = 1 ORDER BY user_id`)
    const out = join(w.dir, 'latest-enriched.parquet')
    await w.api.features.enrich({ input: latest, output: out, features: ['users.risk', 'users.emb', 'users.fraud'] })
    const offline = await rowsOf(out)
    const online = await w.api.features.fetchMany('users', offline.map((r) => ({ user_id: Number(r.user_id) })))
    assert.equal(online.length, 2)
    online.forEach((o, k) => {
      assert.equal(o.features.risk, offline[k]!['users.risk'])
      assert.equal(o.features.fraud, offline[k]!['users.fraud'])
      assert.deepEqual(o.features.emb, Array.from(offline[k]!['users.emb'] as Float32Array))
    })
  })

  it('answers REST: lineage as JSON and enrich on files the server sees', async () => {
    const { createApp } = await import('../../src/server/app.js')
    const { app } = createApp({ api: w.api })
    const res = await app.request('/v1/lineage/users.risk?direction=upstream')
    assert.equal(res.status, 200)
    const g = await res.json() as { nodes: { kind: string }[] }
    assert.ok(g.nodes.some((n) => n.kind === 'model_version'))
    const out = join(w.dir, 'rest.csv')
    const e = await app.request('/v1/features/enrich', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: join(w.dir, 'abc.parquet'), output: out, model: 'score', inputs: ['a', 'b', 'c'], as: 's' }) })
    assert.equal(e.status, 200, await e.clone().text())
    assert.equal(((await e.json()) as { rows: number }).rows, 2)
    const bad = await app.request('/v1/lineage/users.risk?direction=sideways')
    assert.equal(bad.status, 400)
  })

  it('records training sets in lineage, printed as JSON, DOT and Mermaid', async () => {
    const g = await w.api.features.lineage('users.risk', { direction: 'downstream' })
    assert.ok(g.nodes.some((n) => n.kind === 'training_set' && n.ref.endsWith('train.parquet')))
    assert.ok(g.nodes.some((n) => n.ref === 'users.city_risk'))
    const up = await w.api.features.lineage('users.risk', { direction: 'upstream' })
    assert.ok(up.nodes.some((n) => n.kind === 'model_version' && n.ref.startsWith('risk:')))
    assert.ok(!up.nodes.some((n) => n.kind === 'training_set'))
    assert.match(formatLineage(g, 'dot'), /^digraph lineage \{/)
    assert.match(formatLineage(g, 'mermaid'), /^flowchart LR\n/)
    await assert.rejects(w.api.features.lineage('nothing-here'), /no lineage is recorded for 'nothing-here'/)
  })

  it('refuses a spine without its timestamp column, an unknown feature, a missing source and a wrongly typed one', async () => {
    const spine = join(w.dir, 'no-ts.csv')
    await writeParquet(join(w.dir, 'tmp.parquet'), 'SELECT 1')
    await (await import('node:fs/promises')).writeFile(spine, 'user_id,when\n1,2024-05-01 12:00:00\n')
    await assert.rejects(w.api.features.trainingSet({ spine, features: ['users.age'], output: join(w.dir, 'x.parquet') }),
      /spine .*no-ts\.csv has no timestamp \(give its name with --time\) column 'ts' \(columns: user_id, when\)/)
    await assert.rejects(w.api.features.trainingSet({ spine: join(w.dir, 'spine.parquet'), features: ['users.nope'], output: join(w.dir, 'x.parquet') }),
      /unknown feature 'nope'/)
    await assert.rejects(w.api.features.enrich({ input: join(w.dir, 'spine.parquet'), features: ['nosuchset.f'], output: join(w.dir, 'x.parquet') }),
      /nosuchset/)
    await rm(join(w.dir, 'cities.parquet'))
    await assert.rejects(w.api.features.trainingSet({ spine: join(w.dir, 'spine.parquet'), features: ['users.city_risk'], output: join(w.dir, 'x.parquet') }),
      /cities\.source: source .*cities\.parquet does not exist/)
    await writeParquet(join(w.dir, 'users.parquet'), `SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-05-01' AS ts, 'old'::VARCHAR AS age, 1.0::DOUBLE AS income, 7::BIGINT AS city_id`)
    await assert.rejects(w.api.features.trainingSet({ spine: join(w.dir, 'spine.parquet'), features: ['users.age'], output: join(w.dir, 'x.parquet') }),
      /feature set users: base feature 'age' is declared int64 but column 'age' of .*users\.parquet is string/)
    await assert.rejects((await import('node:fs/promises')).access(join(w.dir, 'x.parquet')))
  })
})

describe('quiver training-set and lineage on the command line', () => {
  it('builds a training set and prints lineage as Mermaid', async () => {
    const w = await featureWorld({ models: ['risk', 'embed', 'score'] })
    try {
      await writeParquet(join(w.dir, 'users.parquet'), USERS)
      await writeParquet(join(w.dir, 'spine.parquet'), SPINE)
      await w.api.features.apply([citiesDef(w.dir), usersDef(w.dir)])
      const home = join(w.dir, 'home')
      await w.api.close()
      const out = join(w.dir, 'cli.json')
      const r = await runCli(['training-set', '--spine', join(w.dir, 'spine.parquet'), '--features', 'users.age,users.risk', '--output', out, '--json'], { home })
      assert.equal(r.code, 0, r.stderr)
      assert.equal(JSON.parse(r.stdout).rows, 7)
      const rows = JSON.parse((await (await import('node:fs/promises')).readFile(out, 'utf8'))) as Record<string, unknown>[]
      assert.deepEqual(rows.map((x) => x['users.age']), [31, 30, null, null, 31, null, 40])
      const l = await runCli(['lineage', 'users.risk', '--downstream', '--format', 'mermaid'], { home })
      assert.equal(l.code, 0, l.stderr)
      assert.match(l.stdout, /cli\.json/)
    } finally {
      await w.close().catch(() => undefined)
    }
  })
})
