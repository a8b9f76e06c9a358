/**
 * The remote runtime against a small real HTTP server that this test steers (answers, failures,
 * wrong rows and types): timeouts, retries with backoff, the circuit breaker opening and
 * half-opening, and the answer checked against the output schema. The same runtime against a real
 * second `quiver serve` is test/e2e/remote-peer.test.ts.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ModelSchema } from '../../src/data/schema.js'
import { RemoteRuntime } from '../../src/runtimes/remote/remote-runtime.js'
import { parseEndpoint } from '../../src/runtimes/remote/endpoint.js'
import { columnValues, contextFor, tableOf, versionOf } from './python-helpers.js'

const IN: ModelSchema = [{ name: 'x', type: { list: 'float64', size: 2 }, nullable: false }]
const OUT: ModelSchema = [{ name: 'y', type: 'float64', nullable: false }]

type Mode = 'ok' | 'fail500' | 'wrong-rows' | 'wrong-type' | 'slow' | 'bad-request'
let mode: Mode = 'ok'
let hits = 0
let server: Server
let base = ''
const dir = mkdtempSync(join(tmpdir(), 'quiver-remote-test-'))

before(async () => {
  server = createServer((req, res) => {
    hits++
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.method === 'GET') return send(200, { name: 'm', versions: ['1'], platform: 'x', inputs: [{ name: 'x', datatype: 'FP64', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP64', shape: [-1] }] })
      if (mode === 'fail500') return send(503, { error: 'overloaded' })
      if (mode === 'bad-request') return send(400, { error: 'unexpected input x' })
      if (mode === 'slow') return void setTimeout(() => send(200, {}), 2_000)
      const input = JSON.parse(body).inputs[0] as { shape: number[]; data: number[] }
      const rows = input.shape[0]!
      const sums = Array.from({ length: rows }, (_, r) => input.data[2 * r]! + input.data[2 * r + 1]!)
      if (mode === 'wrong-rows') return send(200, { outputs: [{ name: 'y', datatype: 'FP64', shape: [rows - 1], data: sums.slice(1) }] })
      if (mode === 'wrong-type') return send(200, { outputs: [{ name: 'y', datatype: 'BYTES', shape: [rows], data: sums.map(String) }] })
      send(200, { model_name: 'm', id: '1', outputs: [{ name: 'y', datatype: 'FP64', shape: [rows], data: sums }] })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

let n = 0
async function load(runtime: RemoteRuntime, endpoint: Record<string, unknown>, schemas = true) {
  const file = join(dir, `endpoint-${n++}.json`)
  writeFileSync(file, JSON.stringify(endpoint))
  const v = versionOf('remote', file, IN, OUT)
  return runtime.load(schemas ? v : { ...v, input_schema: null, output_schema: null }, contextFor(file))
}

const input = () => tableOf({ x: [[1, 2], [3, 4], [5, 6.5]] }, IN)

describe('remote runtime', () => {
  it('runs rows on a V2 endpoint, reading its schemas from the model metadata when none are given', async () => {
    mode = 'ok'
    const s = await load(new RemoteRuntime(), { url: `${base}/v2/models/m`, protocol: 'v2' }, false)
    assert.deepEqual(s.inputSchema, IN)
    assert.deepEqual(s.outputSchema, OUT)
    assert.deepEqual(columnValues(await s.infer(input()), 'y'), [3, 7, 11.5])
  })

  it('retries a 5xx with backoff until the budget is spent, then says so with the last answer', async () => {
    mode = 'fail500'
    hits = 0
    const s = await load(new RemoteRuntime(), { url: base, protocol: 'v2', retries: 2, backoff_ms: 5 })
    await assert.rejects(s.infer(input()), /did not answer after 3 attempts \(retry budget spent\): HTTP 503: overloaded/)
    assert.equal(hits, 3)
  })

  it('does not retry a 4xx: the peer refused the request, and its message is shown', async () => {
    mode = 'bad-request'
    hits = 0
    const s = await load(new RemoteRuntime(), { url: base, protocol: 'v2', retries: 3, backoff_ms: 5 })
    await assert.rejects(s.infer(input()), /refused the request \(HTTP 400: unexpected input x\)/)
    assert.equal(hits, 1)
  })

  it('gives up on a call that takes longer than the timeout', async () => {
    mode = 'slow'
    const s = await load(new RemoteRuntime(), { url: base, protocol: 'v2', retries: 0, timeout_ms: 100 })
    await assert.rejects(s.infer(input()), /after 1 attempt .*no answer within 100 ms/)
  })

  it('reports an unreachable endpoint after the retry budget; the breaker opens, then half-opens and closes', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const runtime = new RemoteRuntime()
    const endpoint = { url: `http://127.0.0.1:${port}`, protocol: 'v2', retries: 1, backoff_ms: 5, breaker_failures: 2, breaker_reset_ms: 300 }
    const s = await load(runtime, endpoint)
    await assert.rejects(s.infer(input()), /did not answer after 2 attempts \(retry budget spent\): ECONNREFUSED/)
    const breaker = runtime.breakerFor(parseEndpoint(endpoint))
    assert.equal(breaker.state, 'open')
    await assert.rejects(s.infer(input()), /circuit breaker is open after 2 consecutive failures .*ECONNREFUSED.*a trial call goes through in/)
    await new Promise((r) => setTimeout(r, 350))
    assert.equal(breaker.state, 'half-open')
    // The trial fails: open again at once, without spending the retry budget.
    await assert.rejects(s.infer(input()), /ECONNREFUSED|circuit breaker is open/)
    assert.equal(breaker.state, 'open')
    // The endpoint comes back on the same port: after the reset time the trial succeeds and closes it.
    mode = 'ok'
    const back = createServer((req, res) => server.emit('request', req, res))
    await new Promise<void>((r) => back.listen(port, '127.0.0.1', r))
    try {
      await new Promise((r) => setTimeout(r, 350))
      assert.equal(breaker.state, 'half-open')
      assert.deepEqual(columnValues(await s.infer(input()), 'y'), [3, 7, 11.5])
      assert.equal(breaker.state, 'closed')
    } finally {
      back.closeAllConnections()
      await new Promise((r) => back.close(r))
    }
  })

  it('refuses an answer with the wrong number of rows or the wrong type, naming the field', async () => {
    const s = await load(new RemoteRuntime(), { url: base, protocol: 'v2' })
    mode = 'wrong-rows'
    await assert.rejects(s.infer(input()), /output 'y' with shape \[2\] for 3 input rows/)
    mode = 'wrong-type'
    await assert.rejects(s.infer(input()), /answered output 'y' as BYTES; its output schema expects FP64/)
  })

  it('refuses a bad endpoint description and registers an unknown protocol as unsupported', async () => {
    await assert.rejects(load(new RemoteRuntime(), { url: 'ftp://x', protocol: 'v2' }), /needs an http\(s\) URL/)
    await assert.rejects(load(new RemoteRuntime(), { url: base, protocol: 'v2', retries: -1 }), /retries must be a non-negative integer/)
    await assert.rejects(load(new RemoteRuntime(), { url: base, protocol: 'sagemaker' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'unsupported')
      assert.match(err.message, /remote protocol 'sagemaker' is not a model platform of this installation \(known: v2, mlflow, json\)/)
      return true
    })
  })
})
