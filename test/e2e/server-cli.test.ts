/**
 * A real `bin/quiver serve --port 0 --auth` process on 127.0.0.1, driven by the CLI (`--server`),
 * the SDK, and raw Open Inference Protocol requests (JSON and binary).
 */
import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Table, tableFromIPC } from 'apache-arrow'
import { Quiver } from '../../src/client/index.js'
import { REPO, runCli } from '../helpers/cli.js'
import { serve, type Served } from '../helpers/serve.js'

const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris')
const PROTOCOL = join(REPO, 'test/fixtures/protocol')
/** Size of the streamed-upload memory check; QUIVER_TEST_UPLOAD_MIB=1024 for the 1 GiB figure. */
const UPLOAD_MIB = Number(process.env.QUIVER_TEST_UPLOAD_MIB ?? 256)

const near = (got: number[], want: number[]) => got.length === want.length && got.every((g, i) => Math.abs(g - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!))

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)![1]) / 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

async function fileCount(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).length
}

describe('quiver serve as a real process', () => {
  let home: string
  let owner: string
  let server: Served
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-e2e-server-'))
    const created = await runCli(['token', 'create', '--role', 'owner'], { home })
    assert.equal(created.code, 0, created.stderr)
    owner = created.stdout.trim()
    assert.match(created.stderr, /cannot be shown again/)
    server = await serve(home, ['--auth'])
  })
  after(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL')
      await new Promise((r) => server.child.once('exit', r))
    }
    await rm(home, { recursive: true, force: true })
  })

  const cli = (args: string[], token: string | null = owner) =>
    runCli(['--server', server.url, ...(token ? ['--token', token] : []), ...args])

  it('serves every CLI command over --server with a token', async () => {
    const up = await cli(['--json', 'upload', 'iris', join(IRIS, 'model.onnx'), '--framework', 'onnx', '--tag', 'prod', '--meta', 'team=ml'])
    assert.equal(up.code, 0, up.stderr)
    const v = JSON.parse(up.stdout)
    assert.deepEqual([v.name, v.seq, v.status, v.tags, v.metadata], ['iris', 1, 'ready', ['prod'], { team: 'ml' }])
    const models = JSON.parse((await cli(['--json', 'models'])).stdout)
    assert.deepEqual(models.map((m: any) => m.name), ['iris'])
    assert.equal(JSON.parse((await cli(['--json', 'show', 'iris@prod'])).stdout).version, v.version)
    assert.equal(JSON.parse((await cli(['--json', 'versions', 'iris'])).stdout).length, 1)
    assert.match((await cli(['status', 'iris#1'])).stdout, /iris#1 ready/)
    const infer = await cli(['infer', 'iris', '--input', join(IRIS, 'input.json')])
    assert.equal(infer.code, 0, infer.stderr)
    const rows = JSON.parse(infer.stdout)
    const expected = JSON.parse(await readFile(join(IRIS, 'expected.json'), 'utf8')).columns.species_probs as number[][]
    assert.equal(rows.length, expected.length)
    rows.forEach((r: any, i: number) => assert.ok(near(r['out.species_probs'], expected[i]!), `row ${i}`))
    const out = join(home, 'result.arrow')
    assert.equal((await cli(['infer', 'iris@prod', '--input', join(IRIS, 'input.json'), '--output', out])).code, 0)
    assert.equal(tableFromIPC(await readFile(out)).numRows, expected.length)
    assert.equal((await cli(['tag', 'iris#1', 'stable'])).code, 0)
    assert.equal((await cli(['untag', 'iris', 'stable'])).code, 0)
  })

  it('refuses without a token, with a viewer token for uploads, and reports bad input with exit 2', async () => {
    const none = await cli(['models'], null)
    assert.equal(none.code, 1)
    assert.match(none.stderr, /needs a token/)
    const viewer = (await cli(['token', 'create', '--role', 'viewer'])).stdout.trim()
    assert.match(viewer, /^qvr_/)
    const denied = await cli(['upload', 'other', join(IRIS, 'model.onnx'), '--framework', 'onnx'], viewer)
    assert.equal(denied.code, 1)
    assert.match(denied.stderr, /a viewer token cannot upload models/)
    assert.equal((await cli(['models'], viewer)).code, 0)
    const bad = await cli(['show', 'iris#9'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /model 'iris' has no version #9/)
    const list = JSON.parse((await cli(['--json', 'token', 'list'])).stdout)
    const viewerId = list.find((t: any) => t.role === 'viewer').id
    assert.equal((await cli(['token', 'revoke', viewerId])).code, 0)
    assert.match((await cli(['models'], viewer)).stderr, /unknown or revoked/)
  })

  it('serves the SDK: upload, getModel with versions, tag, infer on records and tables', async () => {
    const quiver = new Quiver({ url: server.url, token: owner })
    const v = await quiver.uploadModel('iris', join(IRIS, 'model.onnx'), { framework: 'onnx', tags: ['sdk'], metadata: { via: 'sdk' } })
    assert.equal(v.seq, 2)
    const model = await quiver.getModel('iris')
    assert.deepEqual(model.versions.map((x) => x.seq), [1, 2])
    assert.equal(model.latest?.seq, 2)
    assert.equal(model.tags.sdk, 2)
    assert.equal((await quiver.tag('iris#1', 'sdk')).seq, 1)
    const result = await quiver.infer('iris@sdk', [{ features: [5.7, 3.8, 1.7, 0.3] }])
    assert.deepEqual(result.schema.names, ['time', 'in.features', 'out.species_probs', 'anomaly.count'])
    const again = await quiver.infer('iris', new Table({ features: result.getChild('in.features')! }))
    assert.deepEqual(again.getChild('out.species_probs')!.get(0)!.toArray(), result.getChild('out.species_probs')!.get(0)!.toArray())
    await assert.rejects(quiver.getModel('nope'), { code: 'not_found' })
  })

  it('answers raw Open Inference Protocol JSON and binary requests', async () => {
    const auth = { authorization: `Bearer ${owner}` }
    const body = await readFile(join(PROTOCOL, 'v2-infer-request-iris.json'))
    const res = await fetch(`${server.url}/v2/models/iris/versions/1/infer`, { method: 'POST', body, headers: { ...auth, 'content-type': 'application/json' } })
    assert.equal(res.status, 200)
    const got = await res.json() as any
    const want = JSON.parse(await readFile(join(PROTOCOL, 'v2-infer-response-iris.json'), 'utf8'))
    assert.ok(near(got.outputs[0].data, want.outputs[0].data))
    const header = Buffer.from(await readFile(join(PROTOCOL, 'v2-infer-request-iris-triton-json.json')))
    const values = Float32Array.from([5.7, 3.8, 1.7, 0.3, 6.7, 2.5, 5.8, 1.8])
    const bin = await fetch(`${server.url}/v2/models/iris/infer`, {
      method: 'POST',
      body: Buffer.concat([header, Buffer.from(values.buffer)]),
      headers: { ...auth, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    })
    assert.equal(bin.status, 200)
    const bytes = Buffer.from(await bin.arrayBuffer())
    const jsonLength = Number(bin.headers.get('inference-header-content-length'))
    const probs = new Float32Array(new Uint8Array(bytes.subarray(jsonLength)).buffer)
    assert.ok(near(Array.from(probs), want.outputs[0].data))
    const missing = await fetch(`${server.url}/v2/models/ghost/infer`, { method: 'POST', body, headers: auth })
    assert.equal(missing.status, 404)
    assert.deepEqual(Object.keys(await missing.json() as object), ['error'])
    assert.equal((await fetch(`${server.url}/v2/health/live`)).status, 200)
  })

  it('keeps no version and no blob when the client drops the connection mid-upload', async () => {
    const blobsBefore = await fileCount(join(home, 'artifacts'))
    const boundary = 'drop-123'
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/v1/models`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(10 << 20) },
      })
      req.on('error', () => resolve())
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\ndropped\r\n--${boundary}\r\nContent-Disposition: form-data; name="framework"\r\n\r\nonnx\r\n`)
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.onnx"\r\n\r\n`)
      req.write(Buffer.alloc(2 << 20, 7), () => setTimeout(() => req.destroy(), 200))
      req.on('close', () => resolve())
    })
    // The server notices the dropped socket on its own time; ask until the answer is settled.
    let models: any[] = []
    for (let i = 0; i < 50; i++) {
      models = await (await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${owner}` } })).json() as any[]
      if (await fileCount(join(home, 'artifacts')) === blobsBefore) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.deepEqual(models.map((m) => m.name), ['iris'])
    assert.equal(await fileCount(join(home, 'artifacts')), blobsBefore)
  })

  it(`streams a ${UPLOAD_MIB} MiB upload without holding it in memory`, async () => {
    const path = join(tmpdir(), `quiver-big-upload-${process.pid}.bin`)
    try {
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(path)
        const chunk = Buffer.alloc(1 << 20)
        let i = 0
        const write = () => {
          while (i < UPLOAD_MIB) {
            chunk.writeUInt32LE(i++, 0)
            if (!out.write(chunk)) return out.once('drain', write)
          }
          out.end(resolve)
        }
        out.on('error', reject)
        write()
      })
      assert.equal((await stat(path)).size, UPLOAD_MIB << 20)
      const before = await memory(server.child.pid!)
      let sampled = before.rss
      const timer = setInterval(() => void memory(server.child.pid!).then((m) => (sampled = Math.max(sampled, m.rss))).catch(() => {}), 50)
      const start = Date.now()
      const quiver = new Quiver({ url: server.url, token: owner })
      // A framework this installation cannot run is registered with status error without loading the file.
      const v = await quiver.uploadModel('big', path, { framework: 'tensorflow' }).finally(() => clearInterval(timer))
      const seconds = (Date.now() - start) / 1000
      const afterUpload = await memory(server.child.pid!)
      assert.equal(v.size_bytes, UPLOAD_MIB << 20)
      const growth = Math.max(afterUpload.peak - before.peak, sampled - before.rss)
      console.log(`# upload of ${UPLOAD_MIB} MiB: ${seconds.toFixed(1)} s, server RSS ${before.rss.toFixed(0)} → max ${sampled.toFixed(0)} MiB (peak ${before.peak.toFixed(0)} → ${afterUpload.peak.toFixed(0)}), growth ${growth.toFixed(0)} MiB`)
      // Streaming keeps the server's memory independent of the file's size.
      assert.ok(growth < Math.min(128, UPLOAD_MIB / 2), `server memory grew by ${growth.toFixed(0)} MiB for a ${UPLOAD_MIB} MiB upload`)
    } finally {
      await rm(path, { force: true })
    }
  })

  it('finishes in-flight requests on SIGTERM and exits 0', async () => {
    const body = await readFile(join(PROTOCOL, 'v2-infer-request-iris.json'))
    const { port, hostname } = new URL(server.url)
    // The server answers "100 Continue" once it has the request's headers: from then on the
    // request is in flight, and SIGTERM must let it finish.
    const socket = connect(Number(port), hostname)
    let received = ''
    const continued = new Promise<void>((resolve) => socket.on('data', (d) => {
      received += d
      if (received.includes('100 Continue')) resolve()
    }))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.write([
      'POST /v2/models/iris/infer HTTP/1.1', `host: ${hostname}:${port}`, `authorization: Bearer ${owner}`,
      'content-type: application/json', `content-length: ${body.length}`, 'expect: 100-continue', 'connection: close', '', '',
    ].join('\r\n'))
    await continued
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)))
    server.child.kill('SIGTERM')
    socket.end(body)
    await closed
    const final = received.slice(received.indexOf('100 Continue') + 12)
    assert.match(final, /HTTP\/1\.1 200 OK/, `the in-flight request was answered: ${final.slice(0, 300)}`)
    assert.match(final, /"outputs":\[/)
    assert.equal(await exited, 0)
    assert.match(server.stderr(), /SIGTERM: finishing in-flight requests, then stopping/)
  })
})
