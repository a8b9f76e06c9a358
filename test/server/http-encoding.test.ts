import assert from 'node:assert/strict'
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { tableFromIPC } from 'apache-arrow'
import { IRIS_ONNX, close, golden, json, openHarness, uploadForm, type Harness } from './harness.js'

describe('HTTP encodings, methods and paths', () => {
  let h: Harness
  before(async () => {
    h = await openHarness({ limits: { maxBodyBytes: 64 << 10 } })
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    assert.equal(res.status, 201)
  })
  after(() => h.close())

  const post = (path: string, body: BodyInit, headers: Record<string, string>) => h.app.request(path, { method: 'POST', body, headers })

  it('decodes gzip and deflate request bodies on /v2 and /v1', async () => {
    const request = JSON.stringify(await golden('v2-infer-request-iris.json'))
    const want = (await golden('v2-infer-response-iris.json')).outputs[0].data
    for (const [encoding, body] of [['gzip', gzipSync(request)], ['deflate', deflateSync(request)]] as const) {
      const res = await post('/v2/models/iris/infer', body, { 'content-type': 'application/json', 'content-encoding': encoding })
      assert.equal(res.status, 200, encoding)
      assert.ok(close((await json(res)).outputs[0].data, want), encoding)
    }
    const records = JSON.stringify([{ features: [5.7, 3.8, 1.7, 0.3] }])
    const res = await post('/v1/models/iris/infer', gzipSync(records), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    assert.equal(res.status, 200)
    assert.equal((await json(res)).length, 1)
  })

  it('counts the binary header length in decoded bytes (Triton client with gzip)', async () => {
    const head = Buffer.from(JSON.stringify(await golden('v2-infer-request-iris-triton-json.json')))
    const values = Float32Array.from([5.7, 3.8, 1.7, 0.3, 6.7, 2.5, 5.8, 1.8])
    const body = gzipSync(Buffer.concat([head, Buffer.from(values.buffer)]))
    const res = await post('/v2/models/iris/infer', body, {
      'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'inference-header-content-length': String(head.byteLength),
    })
    assert.equal(res.status, 200)
    const bytes = Buffer.from(await res.arrayBuffer())
    const length = Number(res.headers.get('inference-header-content-length'))
    assert.deepEqual(JSON.parse(bytes.subarray(0, length).toString()).outputs[0].shape, [2, 3])
  })

  it('refuses a bomb by its decoded size, corrupt data and unknown encodings, then keeps serving', async () => {
    const bomb = gzipSync(Buffer.alloc(1 << 20, 32)) // 1 MiB of spaces in ~1 KiB
    assert.ok(bomb.byteLength < 64 << 10)
    const cases: [BodyInit, string, number, RegExp][] = [
      [bomb, 'gzip', 413, /gzip request body decodes to more than the limit of 64\.0 KiB/],
      [Buffer.from('not gzip at all'), 'gzip', 400, /not valid gzip data/],
      [Buffer.from('{}'), 'br', 415, /Content-Encoding 'br' is not supported/],
    ]
    for (const [body, encoding, status, message] of cases) {
      for (const path of ['/v2/models/iris/infer', '/v1/models/iris/infer']) {
        const res = await post(path, body, { 'content-type': 'application/json', 'content-encoding': encoding })
        assert.equal(res.status, status, `${encoding} ${path}`)
        const err = await json(res)
        assert.match(path.startsWith('/v2') ? err.error : err.error.message, message)
      }
    }
    const ok = await post('/v2/models/iris/infer', JSON.stringify(await golden('v2-infer-request-iris.json')), { 'content-type': 'application/json' })
    assert.equal(ok.status, 200)
  })

  it('gzips large responses for clients that accept it, and leaves small ones alone', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ features: [5 + (i % 7) / 10, 3.1, 1.4, 0.2] }))
    const ask = (accept?: string) => post('/v1/models/iris/infer', JSON.stringify(rows), {
      'content-type': 'application/json', ...(accept ? { 'accept-encoding': accept } : {}),
    })
    const plain = await ask()
    assert.equal(plain.headers.get('content-encoding'), null)
    const plainText = await plain.text()
    const zipped = await ask('gzip, deflate')
    assert.equal(zipped.status, 200)
    assert.equal(zipped.headers.get('content-encoding'), 'gzip')
    const unzipped = gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString()
    const strip = (text: string) => JSON.parse(text).map(({ time: _t, ...rest }: Record<string, unknown>) => rest)
    assert.deepEqual(strip(unzipped), strip(plainText))
    const small = await h.app.request('/v2/health/ready', { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(small.headers.get('content-encoding'), null)
  })

  it('sends a large Arrow IPC answer uncompressed even to a client that accepts gzip', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ features: [5 + (i % 7) / 10, 3.1, 1.4, 0.2] }))
    const res = await post('/v1/models/iris/infer', JSON.stringify(rows), {
      'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream', 'accept-encoding': 'gzip, deflate',
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-encoding'), null)
    const bytes = new Uint8Array(await res.arrayBuffer())
    assert.ok(bytes.byteLength > 8 << 10, `a body past the compression threshold (${bytes.byteLength} bytes)`)
    assert.equal(tableFromIPC(bytes).numRows, 400)
  })

  it('answers a wrong method with 405 and Allow on both doors', async () => {
    const v2 = await h.app.request('/v2/models/iris/infer', { method: 'GET' })
    assert.equal(v2.status, 405)
    assert.match(v2.headers.get('allow') ?? '', /POST/)
    assert.match((await json(v2)).error, /GET is not allowed on \/v2\/models\/iris\/infer; allowed: POST/)
    const v1 = await h.app.request('/v2/health/live', { method: 'DELETE' })
    assert.equal(v1.status, 405)
    assert.match(v1.headers.get('allow') ?? '', /GET/)
    const models = await h.app.request('/v1/models', { method: 'PATCH' })
    assert.equal(models.status, 405)
    assert.equal((await json(models)).error.code, 'invalid_input')
    assert.equal((await h.app.request('/v2/models/iris/explain')).status, 404)
  })

  it('answers paths with a trailing slash as without', async () => {
    const server = await h.app.request('/v2/')
    assert.equal(server.status, 200)
    assert.deepEqual(await json(server), await json(await h.app.request('/v2')))
    assert.equal((await h.app.request('/v2/models/iris/')).status, 200)
    assert.equal((await h.app.request('/v2/health/ready/')).status, 200)
  })
})
