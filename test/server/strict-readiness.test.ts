/**
 * `quiver serve --strict-readiness`, as Triton's: deployed pipelines are loaded at start and
 * `/v2/health/ready` answers 503 until they all are, and for good when one cannot load.
 */
import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import { serveQuiver } from '../../src/serve.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'
import { IRIS_ONNX } from './harness.js'

const serve = (home: string, strictReadiness: boolean) =>
  serveQuiver({ home, host: '127.0.0.1', port: 0, auth: false, logLevel: false, strictReadiness })

describe('strict readiness', () => {
  let home: string
  before(async () => {
    home = await makeTemp()
    const api = await createLocalQuiver({ home, databaseUrl: '' })
    await api.uploadModel({ name: 'iris', source: { path: IRIS_ONNX }, framework: 'onnx' })
    await api.pipelines.create('species', [{ ref: 'iris' }])
    await api.pipelines.deploy('species')
    await api.close()
  })
  after(() => removeTemp(home))

  it('is ready once every deployment is loaded, and the deployment answers', async () => {
    const server = await serve(home, true)
    try {
      assert.equal(await server.deploymentsStarted, true)
      const ready = await fetch(`${server.url}/v2/health/ready`)
      assert.equal(ready.status, 200)
      assert.deepEqual(await ready.json(), { ready: true })
      const res = await fetch(`${server.url}/v1/pipelines/species/infer`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ features: [5.1, 3.5, 1.4, 0.2] }]),
      })
      assert.equal(res.status, 200)
    } finally {
      await server.close()
    }
  })

  it('stays not ready when a deployment cannot load; without the option the server is ready at once', async () => {
    for (const entry of await readdir(join(home, 'artifacts'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) await rm(join(entry.parentPath, entry.name))
    }
    const strict = await serve(home, true)
    try {
      assert.equal(await strict.deploymentsStarted, false)
      const res = await fetch(`${strict.url}/v2/health/ready`)
      assert.equal(res.status, 503)
      assert.deepEqual(await res.json(), { ready: false })
      assert.equal((await fetch(`${strict.url}/v2/health/live`)).status, 200)
    } finally {
      await strict.close()
    }
    const lenient = await serve(home, false)
    try {
      assert.equal((await fetch(`${lenient.url}/v2/health/ready`)).status, 200)
    } finally {
      await lenient.close()
    }
  })
})
