/** Pipelines over REST `/v1/pipelines`, the Open Inference Protocol and MLflow's `/invocations`. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { tableFromIPC } from 'apache-arrow'
import { columnValues } from '../helpers/arrow-values.js'
import { uploadChainModels } from '../pipelines/pipeline-models.js'
import { json, openHarness, type Harness } from './harness.js'

describe('pipelines over HTTP', () => {
  let h: Harness
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    h.app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  before(async () => {
    h = await openHarness()
    await uploadChainModels(h.api, h.home)
  })
  after(() => h?.close())

  it('creates, shows, lists, deploys and infers as JSON and Arrow', async () => {
    const created = await post('/v1/pipelines', { name: 'chain', steps: [{ ref: 'scale@prod' }, { ref: 'total-v', map: { y: 'v' } }] })
    assert.equal(created.status, 201)
    assert.equal((await json(created)).version, 1)
    assert.equal((await json(await h.app.request('/v1/pipelines/chain'))).steps.length, 2)
    const notDeployed = await post('/v1/pipelines/chain/infer', [{ x: [1, 2, 3] }])
    assert.equal(notDeployed.status, 409)
    assert.match((await json(notDeployed)).error.message, /pipeline 'chain' is not deployed/)
    const deployed = await post('/v1/pipelines/chain/deploy', { replicas: 1, batch_max_rows: 64 })
    assert.equal(deployed.status, 200)
    assert.equal((await json(deployed)).deployment.batch_max_rows, 64)
    assert.deepEqual((await json(await h.app.request('/v1/pipelines'))).map((p: any) => p.name), ['chain'])

    const records = await json(await post('/v1/pipelines/chain/infer', [{ x: [1, 2, 3] }]))
    assert.deepEqual(records[0]['out.score'], [12])
    assert.deepEqual(records[0]['in.x'], [1, 2, 3])
    const arrowRes = await post('/v1/pipelines/chain/infer', { columns: { x: [[1, 1, 1]] } }, { 'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream' })
    assert.deepEqual(columnValues(tableFromIPC(new Uint8Array(await arrowRes.arrayBuffer())), 'out.score'), [[6]])
  })

  it('answers the Open Inference Protocol as a model named after the pipeline', async () => {
    const res = await post('/v2/models/chain/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 1, 1, 1] }] })
    assert.equal(res.status, 200)
    const body = await json(res)
    assert.equal(body.model_name, 'chain')
    assert.deepEqual(body.outputs.map((o: any) => [o.name, o.shape, o.data]), [['score', [2, 1], [12, 6]]])
    assert.equal((await h.app.request('/v2/models/chain/ready')).status, 200)
    const meta = await json(await h.app.request('/v2/models/chain'))
    assert.deepEqual([meta.name, meta.platform, meta.inputs, meta.outputs], [
      'chain', 'quiver_pipeline', [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }],
    ])
    const wrong = await post('/v2/models/chain/infer', { inputs: [{ name: 'q', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] })
    assert.equal(wrong.status, 400)
    assert.match((await json(wrong)).error, /unknown input 'q'; the model's inputs are 'x'/)
  })

  it('scores MLflow payloads of every shape and CSV, refusing wrong columns by name', async () => {
    const want = { predictions: [{ score: [12] }] }
    const shapes = [
      { dataframe_split: { columns: ['x'], data: [[[1, 2, 3]]] } },
      { dataframe_records: [{ x: [1, 2, 3] }] },
      { instances: [[1, 2, 3]] },
      { instances: [{ x: [1, 2, 3] }] },
      { inputs: { x: [[1, 2, 3]] } },
      { inputs: [[1, 2, 3]] },
    ]
    for (const body of shapes) {
      const res = await post('/v1/pipelines/chain/invocations', body)
      assert.equal(res.status, 200, JSON.stringify(body))
      assert.deepEqual(await json(res), want, JSON.stringify(body))
    }
    const bad = [
      [{ dataframe_split: { columns: ['z'], data: [[[1, 2, 3]]] } }, /'z'|'x'/],
      [{ dataframe_records: [{ x: [1, 2, 3], extra: 1 }] }, /extra/],
      [{ dataframe_records: [{ y: [1, 2, 3] }] }, /'y'|'x'/],
      [{ instances: [[1, 2]] }, /'x'.*row 0/],
      [{ inputs: { q: [[1, 2, 3]] } }, /'q'|'x'/],
      [{ dataframe_split: { columns: ['x'], data: [[1, 2]] } }, /row 0 has 2 values for 1 columns/],
      [{ records: [] }, /exactly one of dataframe_split, dataframe_records, instances, inputs; got 'records'/],
    ] as const
    for (const [body, message] of bad) {
      const res = await post('/v1/pipelines/chain/invocations', body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.match((await json(res)).error.message, message, JSON.stringify(body))
    }
    // CSV carries scalar fields only; a list field is refused with the reason.
    const csv = await post('/v1/pipelines/chain/invocations', 'x\n1\n', { 'content-type': 'text/csv' })
    assert.equal(csv.status, 400)
    assert.match((await json(csv)).error.message, /x/)
  })

  it('serves the inference log as JSON and Arrow, swaps steps and changes validations', async () => {
    const swapped = await json(await post('/v1/pipelines/chain/swap-step', { index: 0, ref: 'scale#2' }))
    assert.equal(swapped.steps[0].ref, 'scale#2')
    assert.deepEqual((await json(await post('/v1/pipelines/chain/infer', [{ x: [1, 1, 1] }])))[0]['out.score'], [9])
    const v = await json(await post('/v1/pipelines/chain/validations', { add: { big: 'out.score[0] > 5' } }))
    assert.deepEqual(v.validations, [{ name: 'big', expression: 'out.score[0] > 5' }])
    assert.equal((await json(await post('/v1/pipelines/chain/infer', [{ x: [1, 1, 1] }])))[0]['anomaly.big'], true)
    const badExpr = await post('/v1/pipelines/chain/validations', { add: { odd: 'out.nothing > 1' } })
    assert.equal(badExpr.status, 400)
    await h.api.pipelines.close()
    const logs = await json(await h.app.request('/v1/pipelines/chain/logs?limit=3'))
    assert.equal(logs.length, 3)
    assert.ok('metadata.latency_ms' in logs[0])
    const arrowLogs = await h.app.request('/v1/pipelines/chain/logs?limit=2', { headers: { accept: 'application/vnd.apache.arrow.stream' } })
    assert.equal(tableFromIPC(new Uint8Array(await arrowLogs.arrayBuffer())).numRows, 2)
    const badTime = await h.app.request('/v1/pipelines/chain/logs?since=yesterday')
    assert.equal(badTime.status, 400)
    const undeployed = await post('/v1/pipelines/chain/undeploy', '')
    assert.equal((await json(undeployed)).deployment, null)
  })
})
