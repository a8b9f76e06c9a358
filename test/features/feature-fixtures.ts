/**
 * A small feature world for tests: three tiny ONNX models (an embedding, a classifier over it and a
 * risk score), Parquet sources for users and cities written by DuckDB, and their definitions.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import type { FeatureSetDefinition } from '../../src/features/definition.js'
import { buildOnnxModel, type GraphSpec } from '../fixtures/onnx/build-onnx.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'

const N = 'batch'
const AXIS1 = { name: 'axis1', type: 'int64' as const, dims: [1], values: [1] }

/** Weighted sum of a row: `score = Σ w_i · inputs_i`. */
const weightedSum = (name: string, input: string, weights: number[]): GraphSpec => ({
  name,
  inputs: [{ name: input, type: 'float32', shape: [N, weights.length] }],
  outputs: [{ name: 'score', type: 'float32', shape: [N] }],
  initializers: [{ name: 'w', type: 'float32', dims: [weights.length], values: weights }, AXIS1],
  nodes: [
    { op: 'Mul', inputs: [input, 'w'], outputs: ['weighted'] },
    { op: 'ReduceSum', inputs: ['weighted', 'axis1'], outputs: ['score'], attrs: { keepdims: 0 } },
  ],
})

export const MODELS: Record<string, GraphSpec> = {
  risk: weightedSum('risk', 'inputs', [0.5, 0.25, 0.001]),
  score: weightedSum('score', 'x', [1, -1, 0.5]),
  embed: {
    name: 'embed',
    inputs: [{ name: 'inputs', type: 'float32', shape: [N, 2] }],
    outputs: [{ name: 'embedding', type: 'float32', shape: [N, 3] }],
    initializers: [{ name: 'w', type: 'float32', dims: [2, 3], values: [1, 0, 2, 0, 0.01, 0.5] }],
    nodes: [{ op: 'MatMul', inputs: ['inputs', 'w'], outputs: ['embedding'] }],
  },
}

/** The same weights in plain arithmetic (float32 at each step), to check results independently. */
export const f32 = Math.fround
export const riskOf = (a: number, b: number, c: number) => f32(f32(f32(f32(a) * f32(0.5)) + f32(f32(b) * f32(0.25))) + f32(f32(c) * f32(0.001)))

export async function writeParquet(path: string, selectSql: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const c = await db.connect()
  try {
    await c.run(`COPY (${selectSql}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`)
  } finally {
    c.closeSync()
    db.closeSync()
  }
}

export const usersDef = (dir: string): FeatureSetDefinition => ({
  name: 'users', entity: ['user_id'], event_time: 'ts', source: { path: join(dir, 'users.parquet') },
  features: [
    { name: 'age', type: 'int64' },
    { name: 'income', type: 'float64' },
    { name: 'city_id', type: 'int64' },
    { name: 'risk', type: 'float32', inference: { model: 'risk', inputs: ['age', 10, 'income'] } },
    { name: 'emb', type: { list: 'float32', size: 3 }, inference: { model: 'embed', inputs: { inputs: ['age', 'income'] } } },
    { name: 'fraud', type: 'float32', inference: { model: 'score', inputs: { x: 'emb' } } },
    { name: 'city_risk', type: 'float32', inference: { model: 'risk', inputs: ['cities.risk_base', 'risk', 1] } },
  ],
})

export const citiesDef = (dir: string): FeatureSetDefinition => ({
  name: 'cities', entity: ['city_id'], event_time: 'ts', source: { path: join(dir, 'cities.parquet') },
  features: [{ name: 'risk_base', type: 'float64' }],
})

export interface FeatureWorld {
  dir: string
  api: LocalQuiverApi
  close(): Promise<void>
}

/** Users 1..3 with two rows each over time (the later one wins), cities 7 and 8. */
export const USERS_SQL = `SELECT * FROM (VALUES
  (1::BIGINT, TIMESTAMP '2024-01-01 00:00:00', 30::BIGINT, 1000.0::DOUBLE, 7::BIGINT),
  (1::BIGINT, TIMESTAMP '2024-02-01 00:00:00', 31::BIGINT, 1200.0::DOUBLE, 7::BIGINT),
  (2::BIGINT, TIMESTAMP '2024-01-15 00:00:00', 40::BIGINT, 5000.0::DOUBLE, 8::BIGINT),
  (3::BIGINT, TIMESTAMP '2024-03-01 00:00:00', 50::BIGINT, NULL::DOUBLE, 9::BIGINT)
) AS t (user_id, ts, age, income, city_id)`
export const CITIES_SQL = `SELECT * FROM (VALUES
  (7::BIGINT, TIMESTAMP '2024-01-01 00:00:00', 2.0::DOUBLE),
  (8::BIGINT, TIMESTAMP '2024-01-01 00:00:00', 4.0::DOUBLE)
) AS t (city_id, ts, risk_base)`

export async function featureWorld(opts: { models?: string[] } = {}): Promise<FeatureWorld> {
  const dir = await makeTemp('quiver-features-')
  const api = await createLocalQuiver({ home: join(dir, 'home'), databaseUrl: '' })
  for (const name of opts.models ?? Object.keys(MODELS)) {
    const file = join(dir, `${name}.onnx`)
    await writeFile(file, buildOnnxModel(MODELS[name]!))
    await api.uploadModel({ name, source: { path: file }, framework: 'onnx' })
  }
  await writeParquet(join(dir, 'users.parquet'), USERS_SQL)
  await writeParquet(join(dir, 'cities.parquet'), CITIES_SQL)
  return {
    dir, api,
    close: async () => {
      await api.close()
      await removeTemp(dir)
    },
  }
}
