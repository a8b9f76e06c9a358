/**
 * Model execution stays off the event loop: while a long inference runs, the server keeps
 * answering health probes. Ordering only: health answers must arrive while the inference is
 * still pending, however fast or slow the machine is.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import * as arrow from 'apache-arrow'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { toArrowSchema } from '../../src/data/schema.js'
import { createApp } from '../../src/server/app.js'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { IRIS_ONNX } from './harness.js'

const BIG_ROWS = 2_000_000
/** Health answers that must complete while the big inference is pending. */
const MIN_ANSWERS_DURING = 5

let home = ''
let api: LocalQuiverApi
let server: RunningServer

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'quiver-event-loop-'))
  api = await createLocalQuiver({ home, databaseUrl: '' })
  server = await startServer(createApp({ api }).app, { host: '127.0.0.1', port: 0 })
  await api.uploadModel({ name: 'iris', source: { path: IRIS_ONNX }, framework: 'onnx' })
})

after(async () => {
  await server?.close()
  await api?.close()
  if (home) await rm(home, { recursive: true, force: true })
})

/** `rows` iris rows built straight into one Float32Array (no per-row objects). */
function irisRows(rows: number): arrow.Table {
  const schema = toArrowSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
  const type = schema.fields[0]!.type as arrow.FixedSizeList
  const values = new Float32Array(rows * 4)
  for (let i = 0; i < values.length; i++) values[i] = 0.5 + ((i * 7919) % 61) / 10
  const child = arrow.makeData({ type: type.children[0]!.type as arrow.Float32, data: values })
  const column = arrow.makeData({ type, length: rows, nullCount: 0, child })
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children: [column] })
  return new arrow.Table([new arrow.RecordBatch(schema, struct)])
}

async function live(): Promise<void> {
  const res = await fetch(`${server.url}/v2/health/live`)
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { live: true })
}

test('health probes are answered while a 2M-row inference runs', async (t) => {
  const big = irisRows(BIG_ROWS)
  // The first big run loads the model and whatever runs it; the measured run finds all of it warm.
  assert.equal((await api.infer('iris', { kind: 'table', table: big })).numRows, BIG_ROWS)
  await live()

  let pending = true
  const inference = api.infer('iris', { kind: 'table', table: big }).finally(() => {
    pending = false
  })
  let answeredDuring = 0
  let answered = 0
  while (pending) {
    await live()
    answered++
    if (pending) answeredDuring++
  }
  const out = await inference
  t.diagnostic(`${answeredDuring} of ${answered} health answers completed while the inference was pending`)
  assert.equal(out.numRows, BIG_ROWS)
  const probs = out.getChild('out.species_probs')!.get(BIG_ROWS - 1) as arrow.Vector
  const sum = [...probs].reduce((a: number, b) => a + (b as number), 0)
  assert.ok(Math.abs(sum - 1) < 1e-4, `the last row's probabilities sum to ${sum}`)
  assert.ok(
    answeredDuring >= MIN_ANSWERS_DURING,
    `only ${answeredDuring} of ${answered} health answers completed while the inference was pending; the event loop was blocked`,
  )
})
