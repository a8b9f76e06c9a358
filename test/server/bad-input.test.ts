/** Every bad request of the REST door: a clear 4xx, nothing half-written, and the server keeps serving. */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { IRIS_ONNX, json, openHarness, uploadForm, type Harness } from './harness.js'

const LIMITS = { maxBodyBytes: 64 << 10, maxUploadBytes: 256 << 10 }

/** A multipart body that sends its fields and part of the file, then fails like a dropped connection. */
function truncatedUpload(fileBytes: Uint8Array): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = 'cut-here-123'
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\niris\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="framework"\r\n\r\nonnx\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  )
  let step = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (step === 0) controller.enqueue(head)
      else if (step === 1) controller.enqueue(fileBytes.subarray(0, fileBytes.byteLength >> 1))
      else controller.error(new Error('socket hang up'))
      step++
    },
  })
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

/** A complete multipart body that stops before its closing boundary (the client ended early). */
function unterminatedUpload(fileBytes: Uint8Array): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  const boundary = 'cut-here-456'
  const text = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\niris\r\n--${boundary}\r\nContent-Disposition: form-data; name="framework"\r\n\r\nonnx\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.onnx"\r\n\r\n`),
    fileBytes,
  ])
  return { body: new Uint8Array(text), contentType: `multipart/form-data; boundary=${boundary}` }
}

describe('bad requests on /v1', () => {
  let h: Harness
  let model: Buffer
  before(async () => {
    h = await openHarness({ limits: LIMITS })
    model = await readFile(IRIS_ONNX)
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    assert.equal(res.status, 201)
  })
  after(() => h.close())

  /** The registry still holds exactly iris#1, the store its one blob, and inference still works. */
  async function unchanged(): Promise<void> {
    const versions = await json(await h.app.request('/v1/models/iris/versions'))
    assert.deepEqual(versions.map((v: any) => v.seq), [1])
    assert.equal(await h.blobCount(), 1)
    const ok = await h.app.request('/v1/models/iris/infer', { method: 'POST', body: '[{"features": [1, 2, 3, 4]}]', headers: { 'content-type': 'application/json' } })
    assert.equal(ok.status, 200)
  }

  const cases: [string, () => Response | Promise<Response>, number, string, RegExp][] = [
    ['malformed JSON', () => h.app.request('/v1/models/iris/infer', { method: 'POST', body: '[{"features": [1, 2', headers: { 'content-type': 'application/json' } }),
      400, 'invalid_input', /the inference input is not valid JSON/],
    ['a Content-Type that is not an inference input', () => h.app.request('/v1/models/iris/infer', { method: 'POST', body: '<html/>', headers: { 'content-type': 'text/html' } }),
      400, 'invalid_input', /Content-Type "text\/html" is not an inference input; send application\/json/],
    ['a row of the wrong type', () => h.app.request('/v1/models/iris/infer', { method: 'POST', body: '[{"features": [1, 2, 3, 4]}, {"features": [1, "x", 3, 4]}]', headers: { 'content-type': 'application/json' } }),
      400, 'invalid_input', /features.*row 1/],
    ['an unknown output format', () => h.app.request('/v1/models/iris/infer?format=xml', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }),
      400, 'invalid_input', /format must be one of records, columns, arrow, parquet, csv, got "xml"/],
    ['an inference body over the limit', () => h.app.request('/v1/models/iris/infer', { method: 'POST', body: JSON.stringify([{ features: [1, 2, 3, 4], pad: 'x'.repeat(70 << 10) }]), headers: { 'content-type': 'application/json' } }),
      413, 'too_large', /larger than the limit of 64.0 KiB/],
    ['an unknown model', () => h.app.request('/v1/models/nope/infer', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }),
      404, 'not_found', /model 'nope' does not exist in workspace 'default'/],
    ['an invalid reference', () => h.app.request('/v1/models/Iris_Model'), 400, 'invalid_input', /Iris_Model/],
    ['a tag request that is not {"tag"}', () => h.app.request('/v1/models/iris/tags', { method: 'POST', body: '["prod"]', headers: { 'content-type': 'application/json' } }),
      400, 'invalid_input', /the tag request must be a JSON object \{"tag": "NAME"\}/],
    ['an upload that is not multipart', () => h.app.request('/v1/models', { method: 'POST', body: '{"name": "x"}', headers: { 'content-type': 'application/json' } }),
      400, 'invalid_input', /an upload is multipart\/form-data/],
    ['multipart without a file', async () => h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }) }),
      400, 'invalid_input', /the upload form has no file part 'file'/],
    ['multipart without a name', async () => h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ framework: 'onnx' }, { path: IRIS_ONNX }) }),
      400, 'invalid_input', /needs a 'name' field/],
    ['an unknown form field', async () => h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx', colour: 'red' }, { path: IRIS_ONNX }) }),
      400, 'invalid_input', /unknown form field 'colour'/],
    ['meta that is not a JSON object', async () => h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx', meta: '[1]' }, { path: IRIS_ONNX }) }),
      400, 'invalid_input', /form field 'meta' must be a JSON object/],
    ['a bad model name', async () => h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'Iris_2', framework: 'onnx' }, { path: IRIS_ONNX }) }),
      400, 'invalid_input', /Iris_2/],
    ['a file that is not a model', async () => {
      const form = await uploadForm({ name: 'iris', framework: 'onnx' })
      form.append('file', new Blob(['not an onnx graph']), 'model.onnx')
      return h.app.request('/v1/models', { method: 'POST', body: form })
    }, 400, 'invalid_input', /model.onnx is not a valid ONNX model|could not be loaded as a onnx model/],
    ['a field after the file', async () => {
      const form = await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX })
      form.append('tag', 'late')
      return h.app.request('/v1/models', { method: 'POST', body: form })
    }, 400, 'invalid_input', /form field 'tag' comes after the file part/],
    ['an upload over the limit', async () => {
      const form = await uploadForm({ name: 'iris', framework: 'onnx' })
      form.append('file', new Blob([new Uint8Array(300 << 10)]), 'big.onnx')
      return h.app.request('/v1/models', { method: 'POST', body: form })
    }, 413, 'too_large', /larger than the limit of 256.0 KiB/],
    ['an upload cut off by the client', async () => {
      const { body, contentType } = truncatedUpload(model)
      return h.app.request('/v1/models', { method: 'POST', body, headers: { 'content-type': contentType }, duplex: 'half' } as RequestInit)
    }, 400, 'invalid_input', /the upload broke off before the form was complete.*nothing was stored/],
    ['an upload without its closing boundary', async () => {
      const { body, contentType } = unterminatedUpload(model)
      return h.app.request('/v1/models', { method: 'POST', body, headers: { 'content-type': contentType } })
    }, 400, 'invalid_input', /the upload broke off before the form was complete \(Unexpected end of form\)/],
    ['a malformed multipart header', () => h.app.request('/v1/models', { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data' } }),
      400, 'invalid_input', /malformed multipart\/form-data header/],
    ['a route that does not exist', () => h.app.request('/v1/nothing'), 404, 'not_found', /no route for GET \/v1\/nothing/],
  ]

  for (const [what, send, status, code, message] of cases) {
    it(`${what} → ${status} ${code}`, async () => {
      const res = await send()
      const body = await json(res)
      assert.equal(res.status, status, JSON.stringify(body))
      assert.equal(body.error?.code, code, JSON.stringify(body))
      assert.match(body.error.message, message)
      await unchanged()
    })
  }
})
