import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { golden, IRIS_ONNX, json, openHarness, uploadForm, type Harness } from './harness.js'

describe('/openapi.json and /metrics', () => {
  let h: Harness
  before(async () => {
    h = await openHarness()
  })
  after(() => h.close())

  it('describes every route the app registers, and nothing it does not', async () => {
    const doc = await json(await h.app.request('/openapi.json'))
    assert.equal(doc.openapi, '3.1.0')
    const registered = new Set(
      h.app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`),
    )
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)))
    assert.deepEqual([...registered].filter((r) => !documented.has(r)), [], 'routes missing from the document')
    assert.deepEqual([...documented].filter((d) => !registered.has(d)), [], 'documented routes the app does not have')
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        assert.ok(op.summary && op.responses, `${method} ${path} has a summary and responses`)
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          assert.ok(op.parameters?.some((p: any) => p.in === 'path' && `{${p.name}}` === name), `${method} ${path} documents ${name}`)
        }
      }
    }
  })

  it('counts requests and their latency per route and model, unknown names under one label', async () => {
    await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    const body = JSON.stringify(await golden('v2-infer-request-iris.json'))
    for (let i = 0; i < 3; i++) assert.equal((await h.app.request('/v2/models/iris/infer', { method: 'POST', body })).status, 200)
    await h.app.request('/v2/models/nope/infer', { method: 'POST', body })
    const res = await h.app.request('/metrics')
    assert.match(res.headers.get('content-type')!, /text\/plain/)
    const text = await res.text()
    assert.match(text, /quiver_http_requests_total\{method="POST",route="\/v2\/models\/:name\/infer",status="200",workspace="default",model="iris"\} 3/)
    assert.doesNotMatch(text, /nope/)
    assert.match(text, /quiver_http_requests_total\{method="POST",route="\/v2\/models\/:name\/infer",status="404",workspace="default",model="\(unknown\)"\} 1/)
    assert.match(text, /quiver_http_request_duration_seconds_count\{method="POST",route="\/v2\/models\/:name\/infer",workspace="default",model="iris"\} 3/)
    assert.match(text, /quiver_http_requests_total\{method="POST",route="\/v1\/models",status="201",workspace="default",model="iris"\} 1/)
  })
})
