import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { computeDerived, planDerived } from '../../src/features/derived.js'
import type { FeatureSetDefinition } from '../../src/features/definition.js'
import { citiesDef, f32, featureWorld, riskOf, usersDef, type FeatureWorld } from './feature-fixtures.js'

/** Base columns of users (and cities.risk_base) as computeDerived receives them. */
function baseTable(rows: { age: bigint; income: number | null; city_id: bigint; risk_base: number | null }[]): arrow.Table {
  return new arrow.Table({
    user_id: arrow.vectorFromArray(rows.map((_, i) => BigInt(i + 1)), new arrow.Int64()),
    age: arrow.vectorFromArray(rows.map((r) => r.age), new arrow.Int64()),
    income: arrow.vectorFromArray(rows.map((r) => r.income), new arrow.Float64()),
    city_id: arrow.vectorFromArray(rows.map((r) => r.city_id), new arrow.Int64()),
    'cities.risk_base': arrow.vectorFromArray(rows.map((r) => r.risk_base), new arrow.Float64()),
  })
}

/** embed then score in float32 steps: emb = [age, 0.01·income, 2·age + 0.5·income]; fraud = e0 − e1 + 0.5·e2. */
const embOf = (age: number, income: number) => [f32(age), f32(f32(income) * f32(0.01)), f32(f32(f32(age) * 2) + f32(f32(income) * 0.5))]
const fraudOf = (e: number[]) => f32(f32(f32(e[0]!) - f32(e[1]!)) + f32(f32(e[2]!) * 0.5))
const close = (a: number | null, b: number, what: string) => {
  assert.ok(a !== null, `${what} is null`)
  assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`)
}

describe('derived features, columnar', () => {
  let w: FeatureWorld
  let users: FeatureSetDefinition
  let cities: FeatureSetDefinition
  const related = (name: string) => (name === 'cities' ? cities : undefined)
  before(async () => {
    w = await featureWorld()
    users = usersDef(w.dir)
    cities = citiesDef(w.dir)
  })
  after(async () => w?.close())

  it('plans chains in dependency order and lists the base columns they read', () => {
    const plan = planDerived(users, ['fraud', 'city_risk'], related)
    assert.deepEqual(plan.derived.map((n) => n.column), ['emb', 'fraud', 'risk', 'city_risk'])
    assert.deepEqual(plan.base.map((n) => n.column).sort(), ['age', 'cities.risk_base', 'income'])
  })

  it('computes constants, packed arrays, object inputs, a chain and a related set, nulls where inputs are null', async () => {
    const t = baseTable([
      { age: 31n, income: 1200, city_id: 7n, risk_base: 2 },
      { age: 40n, income: 5000, city_id: 8n, risk_base: 4 },
      { age: 50n, income: null, city_id: 9n, risk_base: null },
    ])
    const { table, models } = await computeDerived(users, t, ['risk', 'emb', 'fraud', 'city_risk', 'age'], w.api.inference, { related })
    assert.deepEqual(table.schema.fields.map((f) => f.name), [...t.schema.fields.map((f) => f.name), 'risk', 'emb', 'fraud', 'city_risk'])
    assert.equal(table.schema.fields.find((f) => f.name === 'emb')!.type.toString(), 'FixedSizeList[3]<Float32>')
    const risk = table.getChild('risk')!.toArray() as Float32Array
    assert.equal(risk[0], riskOf(31, 10, 1200))
    assert.equal(risk[1], riskOf(40, 10, 5000))
    assert.equal(table.getChild('risk')!.get(2), null)
    const e0 = embOf(31, 1200)
    assert.deepEqual([...table.getChild('emb')!.get(0)!], e0)
    close(table.getChild('fraud')!.get(0), fraudOf(e0), 'fraud[0]')
    close(table.getChild('fraud')!.get(1), fraudOf(embOf(40, 5000)), 'fraud[1]')
    assert.equal(table.getChild('emb')!.get(2), null)
    assert.equal(table.getChild('fraud')!.get(2), null)
    assert.equal(table.getChild('city_risk')!.get(0), riskOf(2, riskOf(31, 10, 1200), 1))
    assert.equal(table.getChild('city_risk')!.get(2), null)
    assert.equal(table.getChild('fraud')!.nullCount, 1)
    for (const f of ['risk', 'emb', 'fraud', 'city_risk']) assert.match(models[f]!, /^(risk|embed|score):[0-9a-f-]{36}$/, f)
    assert.equal(models.age, undefined)
  })

  it('adds only the requested features, not the ones in between', async () => {
    const t = baseTable([{ age: 20n, income: 100, city_id: 7n, risk_base: 1 }])
    const { table } = await computeDerived(users, t, ['fraud'], w.api.inference, { related })
    assert.deepEqual(table.schema.fields.map((f) => f.name).slice(-1), ['fraud'])
    assert.equal(table.getChild('emb'), null)
  })

  it('agrees row for row across many record batches and the threaded run of large inputs', async () => {
    const n = 50_000
    const rows = Array.from({ length: n }, (_, i) => ({ age: BigInt(i % 90), income: i % 7 === 0 ? null : i * 1.5, city_id: 7n, risk_base: 1 }))
    const whole = baseTable(rows)
    const chunked = new arrow.Table([...whole.slice(0, 777).batches, ...whole.slice(777, 30_001).batches, ...whole.slice(30_001).batches])
    assert.ok(chunked.batches.length >= 3)
    const a = (await computeDerived(users, whole, ['risk', 'fraud'], w.api.inference)).table
    const b = (await computeDerived(users, chunked, ['risk', 'fraud'], w.api.inference)).table
    for (const f of ['risk', 'fraud']) {
      assert.deepEqual(b.getChild(f)!.toArray(), a.getChild(f)!.toArray(), f)
      assert.equal(a.getChild(f)!.nullCount, Math.ceil(n / 7), `${f} nulls`)
    }
    for (const i of [1, 777, 30_001, n - 1]) {
      if (i % 7 === 0) continue
      assert.equal(a.getChild('risk')!.get(i), riskOf(i % 90, 10, i * 1.5), `risk[${i}]`)
    }
  })

  it('gives nulls without running a model when every row lacks an input, and handles no rows', async () => {
    const t = baseTable([{ age: 1n, income: null, city_id: 1n, risk_base: null }])
    const { table } = await computeDerived(users, t, ['fraud'], w.api.inference)
    assert.equal(table.getChild('fraud')!.get(0), null)
    const empty = await computeDerived(users, baseTable([]), ['risk'], w.api.inference)
    assert.equal(empty.table.numRows, 0)
    assert.equal(empty.table.getChild('risk')!.length, 0)
  })

  it('refuses an unknown requested feature, naming it', async () => {
    await assert.rejects(computeDerived(users, baseTable([]), ['salary'], w.api.inference),
      (err: Error & { code?: string }) => err.code === 'not_found' && /unknown feature 'salary' \(feature set users has user_id, age/.test(err.message))
  })

  it('refuses a table without a base column the features need', async () => {
    const t = baseTable([{ age: 1n, income: 1, city_id: 1n, risk_base: 1 }]).select(['user_id', 'age'])
    await assert.rejects(computeDerived(users, t, ['risk'], w.api.inference),
      (err: Error & { code?: string }) => err.code === 'invalid_input' && /no column 'income'/.test(err.message))
  })

  it('refuses a model whose output type differs from the declared type, naming both', async () => {
    const bad: FeatureSetDefinition = { ...users, features: users.features.map((f) => (f.name === 'risk' ? { ...f, type: 'float64' } : f)) }
    const t = baseTable([{ age: 1n, income: 1, city_id: 1n, risk_base: 1 }])
    await assert.rejects(computeDerived(bad, t, ['risk'], w.api.inference), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'conflict')
      assert.match(err.message, /users\.risk: declared float64 but risk#1 output 'score' is float32/)
      return true
    })
  })

  it('keeps one model version per reference when the caller pins them', async () => {
    const versions = new Map()
    const t = baseTable([{ age: 3n, income: 3, city_id: 1n, risk_base: 1 }])
    const first = await computeDerived(users, t, ['risk'], w.api.inference, { versions })
    assert.equal(versions.get('risk').name, 'risk')
    const again = await computeDerived(users, t, ['risk'], w.api.inference, { versions })
    assert.equal(again.models.risk, first.models.risk)
  })
})
