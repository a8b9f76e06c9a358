/**
 * PostgreSQL going away under load: replicas answer clearly while it is away and serve again when
 * it is back, with no restart; their change feed reconnects. The shared test server is left alone:
 * the outage is a proxy in front of it, and killed connections are the replicas' own.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { postgresSkipReason, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { IRIS_ONNX, post, startCluster, v2Request, type Cluster } from './cluster.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

const skip = await postgresSkipReason('the PostgreSQL outage tests')

describe('PostgreSQL away while replicas serve', { skip }, () => {
  let proxy: TcpProxy
  let cluster: Cluster
  const url = (i: number) => cluster.replicas[i]!.url
  before(async () => {
    const target = new URL(TEST_DATABASE_URL)
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432))
    const through = new URL(TEST_DATABASE_URL)
    through.port = String(proxy.port)
    cluster = await startCluster(2, { databaseBase: through.toString() })
    const form = new FormData()
    form.append('name', 'iris')
    form.append('framework', 'onnx')
    form.append('tag', 'prod')
    form.append('file', new Blob([await readFile(IRIS_ONNX)]), 'model.onnx')
    assert.equal((await fetch(`${url(0)}/v1/models`, { method: 'POST', body: form })).status, 201)
  })
  after(async () => {
    await cluster?.close()
    await proxy?.close()
  })

  /** A request that needs the database every time: the model list. */
  const listModels = async (i: number) => {
    const res = await fetch(`${url(i)}/v1/models`)
    return { status: res.status, body: await res.text() }
  }

  it('fails requests clearly while the database is away and serves again once it is back', async () => {
    const pids = cluster.replicas.map((r) => r!.child.pid)
    assert.equal((await listModels(1)).status, 200)
    assert.equal((await post(`${url(1)}/v2/models/iris/versions/1/infer`, v2Request())).status, 200)
    proxy.down()
    const during = await listModels(1)
    assert.ok(during.status >= 500, `status ${during.status}`)
    const error = JSON.parse(during.body).error
    assert.equal(error.code, 'internal')
    assert.match(error.message, /the metadata database \(PostgreSQL at postgres:\/\/.*\) is unavailable: .*; retry shortly/)
    console.log(`# during the outage: ${during.status} ${error.code}: ${error.message}`)
    // Inference of an already resolved, loaded version needs no database.
    assert.equal((await post(`${url(1)}/v2/models/iris/versions/1/infer`, v2Request())).status, 200)
    proxy.up()
    let back = during
    for (let i = 0; i < 100 && back.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100))
      back = await listModels(1)
    }
    assert.equal(back.status, 200, back.body)
    assert.deepEqual(cluster.replicas.map((r) => r!.child.pid), pids, 'no replica restarted')
    assert.deepEqual(cluster.replicas.map((r) => r!.child.exitCode), [null, null])
  })

  it('keeps following changes after its connections are terminated', async () => {
    const before = await post(`${url(1)}/v2/models/iris/versions/prod/infer`, v2Request())
    assert.equal((await before.json()).model_version, '1')
    const form = new FormData()
    form.append('name', 'iris')
    form.append('framework', 'onnx')
    form.append('file', new Blob([await readFile(IRIS_ONNX)]), 'model.onnx')
    assert.equal((await fetch(`${url(0)}/v1/models`, { method: 'POST', body: form })).status, 201)
    const { rows } = await cluster.admin.query(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1', [cluster.appName])
    assert.ok(rows.length >= 2, `killed ${rows.length} connections`)
    // Requests right after the kill may fail once per dropped connection; then they succeed.
    let status = 0
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await listModels(0)).status
      if (status !== 200) await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(status, 200)
    // The listener reconnected: a tag move through replica 0 reaches replica 1.
    await new Promise((r) => setTimeout(r, 500))
    assert.equal((await post(`${url(0)}/v1/models/iris%232/tags`, { tag: 'prod' })).status, 200)
    let version = ''
    for (let i = 0; i < 40 && version !== '2'; i++) {
      const res = await post(`${url(1)}/v2/models/iris/versions/prod/infer`, v2Request())
      version = res.status === 200 ? String((await res.json()).model_version) : `status ${res.status}`
      if (version !== '2') await new Promise((r) => setTimeout(r, 25))
    }
    assert.equal(version, '2')
  })
})
