/**
 * The fast lane answers inference requests off `node:http` before the app: every answer it gives
 * must be the app's answer, byte for byte (but for the `time` column and V2's generated id), with
 * the same status, Content-Type and compression, and the request counted in /metrics the same way.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { gunzipSync, gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { binaryRequest, IRIS_ONNX, openHarness, type Harness, uploadForm } from './harness.js'

interface Sent {
  path: string
  body: string | Uint8Array
  headers?: Record<string, string>
}

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2]
const V2_BODY = JSON.stringify({ id: 'req-1', inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] })

/** The same request through the app in process and through the socket, where the lane takes it. */
const CASES: Record<string, Sent> = {
  'v1 records': { path: '/v1/models/iris/infer', body: JSON.stringify([{ features: IRIS_ROW }]), headers: { 'content-type': 'application/json' } },
  'v1 no content-type': { path: '/v1/models/iris/infer', body: JSON.stringify([{ features: IRIS_ROW }]) },
  'v1 by seq, columns format': { path: '/v1/models/iris/versions/1/infer?format=columns', body: JSON.stringify([{ features: IRIS_ROW }]), headers: { 'content-type': 'application/json' } },
  'v1 Arrow answer by Accept': { path: '/v1/models/iris/infer', body: JSON.stringify([{ features: IRIS_ROW }]), headers: { 'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream' } },
  'v1 CSV input': { path: '/v1/models/iris/infer', body: 'features\n"[5.1,3.5,1.4,0.2]"\n', headers: { 'content-type': 'text/csv' } },
  'v1 unknown model': { path: '/v1/models/nope/infer', body: '[]', headers: { 'content-type': 'application/json' } },
  'v1 wrong field': { path: '/v1/models/iris/infer', body: '[{"x": 1}]', headers: { 'content-type': 'application/json' } },
  'v1 bad JSON': { path: '/v1/models/iris/infer', body: '[{', headers: { 'content-type': 'application/json' } },
  'v1 bad format': { path: '/v1/models/iris/infer?format=xml', body: '[]' },
  'v1 other workspace': { path: '/v1/models/iris/infer?workspace=elsewhere', body: JSON.stringify([{ features: IRIS_ROW }]) },
  'v2 JSON': { path: '/v2/models/iris/infer', body: V2_BODY, headers: { 'content-type': 'application/json' } },
  'v2 by version, trailing slash': { path: '/v2/models/iris/versions/1/infer/', body: V2_BODY },
  'v2 unknown model': { path: '/v2/models/nope/infer', body: V2_BODY },
  'v2 wrong datatype': { path: '/v2/models/iris/infer', body: V2_BODY.replace('FP32', 'BYTES') },
}

describe('inference fast lane', () => {
  let h: Harness
  let server: RunningServer
  /** Requests the lane took, so that a parity check cannot pass by the app answering both. */
  let taken = 0
  before(async () => {
    h = await openHarness()
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    assert.equal(res.status, 201)
    assert.ok(h.fastLane, 'an app without auth has a fast lane')
    const lane = h.fastLane
    server = await startServer(h.app, { port: 0, fastLane: (req, res) => lane(req, res) && ++taken > 0 })
  })
  after(async () => {
    await server?.close()
    await h?.close()
  })

  const viaApp = (s: Sent) => h.app.request(s.path, { method: 'POST', body: s.body as BodyInit, headers: s.headers })
  const viaSocket = (s: Sent) => fetch(`${server.url}${s.path}`, { method: 'POST', body: s.body as BodyInit, headers: s.headers })
  /** The answer with what differs by nature between two calls (request time, generated id) blanked. */
  const comparable = async (res: Response) => {
    const type = res.headers.get('content-type') ?? ''
    const bytes = new Uint8Array(await res.arrayBuffer())
    const text = type.includes('json') ? Buffer.from(bytes).toString('utf8').replace(/"time":"[^"]+"/g, '"time":"T"').replace(/"time":\["[^"]+"\]/g, '"time":["T"]') : `${bytes.byteLength} bytes`
    return { status: res.status, type, text }
  }

  for (const [name, sent] of Object.entries(CASES)) {
    it(`answers as the app does: ${name}`, async () => {
      const before = taken
      const [a, b] = [await comparable(await viaApp(sent)), await comparable(await viaSocket(sent))]
      assert.equal(taken, before + 1, 'the lane took the request')
      assert.deepEqual(b, a)
    })
  }

  it('answers V2 binary tensor requests as the app does', async () => {
    const { body, headers } = binaryRequest(
      { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }], outputs: [{ name: 'species_probs', parameters: { binary_data: true } }] },
      new Uint8Array(Float32Array.from(IRIS_ROW).buffer),
    )
    const sent = { path: '/v2/models/iris/infer', body, headers }
    const before = taken
    const [a, b] = [await viaApp(sent), await viaSocket(sent)]
    assert.equal(taken, before + 1)
    assert.equal(b.status, 200)
    assert.equal(b.headers.get('inference-header-content-length'), a.headers.get('inference-header-content-length'))
    const [x, y] = [new Uint8Array(await a.arrayBuffer()), new Uint8Array(await b.arrayBuffer())]
    assert.equal(y.byteLength, x.byteLength)
    assert.deepEqual(y.subarray(-12), x.subarray(-12), 'the binary output tensor is the same bytes')
  })

  it('compresses a large answer for a client that accepts gzip, and leaves a small one alone', async () => {
    const rows = Array.from({ length: 400 }, () => ({ features: IRIS_ROW }))
    const big = await viaSocket({ path: '/v1/models/iris/infer', body: JSON.stringify(rows), headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' } })
    assert.equal(big.status, 200)
    assert.equal(big.headers.get('vary'), 'Accept-Encoding')
    // fetch decodes gzip itself; ask the raw way to see the encoding on the wire.
    const raw = await rawPost(server.url, '/v1/models/iris/infer', JSON.stringify(rows), { 'content-type': 'application/json', 'accept-encoding': 'gzip' })
    assert.equal(raw.headers['content-encoding'], 'gzip')
    assert.equal(JSON.parse(gunzipSync(raw.body).toString()).length, 400)
    const small = await rawPost(server.url, '/v1/models/iris/infer', JSON.stringify(rows.slice(0, 1)), { 'content-type': 'application/json', 'accept-encoding': 'gzip' })
    assert.equal(small.headers['content-encoding'], undefined)
    assert.equal(JSON.parse(small.body.toString()).length, 1)
  })

  it('leaves gzip request bodies, GET and other routes to the app', async () => {
    const before = taken
    const gz = await fetch(`${server.url}/v1/models/iris/infer`, { method: 'POST', body: new Uint8Array(gzipSync(JSON.stringify([{ features: IRIS_ROW }]))), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })
    assert.equal(gz.status, 200)
    const get = await fetch(`${server.url}/v1/models/iris/infer`)
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    assert.equal(taken, before)
  })

  it('counts lane requests in /metrics under the route the app would name', async () => {
    await viaSocket(CASES['v1 records']!)
    await viaSocket(CASES['v2 JSON']!)
    const text = await (await fetch(`${server.url}/metrics`)).text()
    assert.match(text, /quiver_http_requests_total\{[^}]*route="\/v1\/models\/:ref\/infer"[^}]*status="200"[^}]*\} [1-9]/)
    assert.match(text, /quiver_http_requests_total\{[^}]*route="\/v2\/models\/:name\/infer"[^}]*status="200"[^}]*\} [1-9]/)
  })
})

function rawPost(base: string, path: string, body: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}
