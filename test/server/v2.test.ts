import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { binaryAnswer, binaryRequest, close, golden, IRIS_ONNX, json, openHarness, type Harness, uploadForm } from './harness.js'

describe('Open Inference Protocol /v2', () => {
  let h: Harness
  let uuid: string
  before(async () => {
    h = await openHarness()
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    uuid = (await json(res)).version
  })
  after(() => h.close())

  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    h.app.request(path, { method: 'POST', body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body), headers })

  it('answers health, server metadata and model metadata as the golden payloads', async () => {
    assert.equal((await h.app.request('/v2/health/live')).status, 200)
    assert.equal((await h.app.request('/v2/health/ready')).status, 200)
    assert.deepEqual(await json(await h.app.request('/v2')), await golden('v2-server-metadata.json'))
    assert.deepEqual(await json(await h.app.request('/v2/models/iris')), await golden('v2-model-metadata-iris.json'))
    assert.deepEqual(await json(await h.app.request('/v2/models/iris/versions/1')), await golden('v2-model-metadata-iris.json'))
    const ready = await h.app.request(`/v2/models/iris/versions/${uuid}/ready`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await json(ready), { name: 'iris', ready: true })
  })

  it('infers the golden request (flat and nested data) into the golden response', async () => {
    const want = await golden('v2-infer-response-iris.json')
    for (const [fixture, path] of [['v2-infer-request-iris.json', '/v2/models/iris/infer'], ['v2-infer-request-iris-nested.json', '/v2/models/iris/versions/1/infer']]) {
      const res = await post(path!, await golden(fixture!))
      assert.equal(res.status, 200, fixture)
      const got = await json(res)
      assert.equal(got.model_name, 'iris')
      assert.equal(got.model_version, '1')
      if (fixture === 'v2-infer-request-iris.json') assert.equal(got.id, 'iris-42')
      else assert.match(got.id, /^[0-9a-f-]{36}$/)
      assert.deepEqual(got.outputs.map((o: any) => [o.name, o.datatype, o.shape]), want.outputs.map((o: any) => [o.name, o.datatype, o.shape]))
      assert.ok(close(got.outputs[0].data, want.outputs[0].data), JSON.stringify(got.outputs[0].data))
    }
  })

  it('reads binary inputs and writes binary outputs (Triton client request)', async () => {
    const values = Float32Array.from([5.7, 3.8, 1.7, 0.3, 6.7, 2.5, 5.8, 1.8])
    const { body, headers } = binaryRequest(await golden('v2-infer-request-iris-triton-json.json'), new Uint8Array(values.buffer))
    const res = await post('/v2/models/iris/infer', body, headers)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    const { header, tail } = await binaryAnswer(res)
    assert.deepEqual(header.outputs, [{ name: 'species_probs', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: 24 } }])
    const want = (await golden('v2-infer-response-iris.json')).outputs[0].data
    assert.ok(close(Array.from(new Float32Array(new Uint8Array(tail).buffer)), want))
  })

  it('returns every output binary with binary_data_output, JSON without', async () => {
    const res = await post('/v2/models/iris/infer', await golden('v2-infer-request-iris-binary-output.json'))
    const { header, tail } = await binaryAnswer(res)
    assert.equal(header.outputs[0].parameters.binary_data_size, 24)
    assert.equal(tail.byteLength, 24)
  })

  describe('errors are {"error": "..."} with the right status, and the server keeps serving', () => {
    const cases: [string, () => Response | Promise<Response>, number, RegExp][] = [
      ['unknown model', () => post('/v2/models/no-such-model/infer', { inputs: [] }), 404, /model 'no-such-model' does not exist in workspace 'default'/],
      ['unknown version', () => post('/v2/models/iris/versions/9/infer', {}), 404, /model 'iris' has no version #9/],
      ['unknown model metadata', () => h.app.request('/v2/models/nope'), 404, /model 'nope' does not exist/],
      ['malformed JSON', () => post('/v2/models/iris/infer', '{"inputs": [', { 'content-type': 'application/json' }), 400, /the inference request is not valid JSON/],
      ['data/shape mismatch', () => post('/v2/models/iris/infer', { inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3] }] }), 400, /input 'features' shape \[2, 4\] claims 8 FP32 elements but its data holds 3/],
      ['unsupported datatype', () => post('/v2/models/iris/infer', { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FLOAT', data: [1, 2, 3, 4] }] }), 400, /unsupported datatype 'FLOAT'/],
      ['unknown input name', () => post('/v2/models/iris/infer', { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }), 400, /unknown input 'x'/],
      ['binary sizes that do not add up', async () => {
        const { body, headers } = binaryRequest(await golden('v2-infer-request-iris-triton-json.json'), new Uint8Array(30))
        return post('/v2/models/iris/infer', body, headers)
      }, 400, /declares 32 bytes of binary data but only 30 remain/],
      ['no such route', () => h.app.request('/v2/models/iris/explain'), 404, /no route for GET \/v2\/models\/iris\/explain/],
    ]
    for (const [what, send, status, message] of cases) {
      it(what, async () => {
        const res = await send()
        assert.equal(res.status, status)
        const body = await json(res)
        assert.equal(typeof body.error, 'string', JSON.stringify(body))
        assert.match(body.error, message)
        assert.equal((await post('/v2/models/iris/infer', await golden('v2-infer-request-iris.json'))).status, 200)
      })
    }
  })
})
