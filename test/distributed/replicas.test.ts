/**
 * Three real `quiver serve` replicas on one PostgreSQL schema and one S3 bucket: what one is told,
 * the others follow within a second, with no restart and no failed request.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { postgresSkipReason } from '../helpers/postgres.js'
import { IRIS_ONNX, post, startCluster, v2Request, type Cluster } from './cluster.js'

const skip = await postgresSkipReason('the replica tests')

async function upload(url: string, fields: Record<string, string>): Promise<any> {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append('file', new Blob([await readFile(IRIS_ONNX)]), 'model.onnx')
  const res = await fetch(`${url}/v1/models`, { method: 'POST', body: form })
  assert.equal(res.status, 201, await res.clone().text())
  return res.json()
}

/** The seq of the version that answered a V2 inference of `iris` at tag prod, or the failure. */
async function inferProd(url: string): Promise<{ ok: true; version: string } | { ok: false; why: string }> {
  try {
    const res = await post(`${url}/v2/models/iris/versions/prod/infer`, v2Request())
    const text = await res.text()
    if (res.status !== 200) return { ok: false, why: `${res.status} ${text.slice(0, 200)}` }
    return { ok: true, version: String(JSON.parse(text).model_version) }
  } catch (err) {
    return { ok: false, why: String(err) }
  }
}

describe('replicas sharing PostgreSQL and S3', { skip }, () => {
  let cluster: Cluster
  const url = (i: number) => cluster.replicas[i]!.url
  before(async () => { cluster = await startCluster(3) })
  after(async () => { await cluster?.close() })

  it('takes an upload through one replica and serves it from the others', async () => {
    const v = await upload(url(0), { name: 'iris', framework: 'onnx', tag: 'prod' })
    assert.equal(v.seq, 1)
    for (const i of [1, 2]) assert.deepEqual(await inferProd(url(i)), { ok: true, version: '1' })
    const second = await upload(url(0), { name: 'iris', framework: 'onnx' })
    assert.equal(second.seq, 2)
  })

  it('moves a tag under load: every replica follows, with no failed request', async () => {
    const failures: string[] = []
    const seen: { replica: number; version: string; started: number }[] = []
    let stop = false
    const load = async (replica: number) => {
      while (!stop) {
        const started = performance.now()
        const r = await inferProd(url(replica))
        if (r.ok) seen.push({ replica, version: r.version, started })
        else failures.push(r.why)
      }
    }
    const workers = [1, 2, 1, 2].map(load)
    await new Promise((r) => setTimeout(r, 300))
    const moveStart = performance.now()
    const moved = await post(`${url(0)}/v1/models/iris%232/tags`, { tag: 'prod' })
    assert.equal(moved.status, 200)
    const movedAt = performance.now()
    await new Promise((r) => setTimeout(r, 1500))
    stop = true
    await Promise.all(workers)
    assert.deepEqual(failures, [])
    for (const replica of [1, 2]) {
      const mine = seen.filter((s) => s.replica === replica)
      assert.ok(mine.some((s) => s.started < moveStart && s.version === '1'), 'served #1 before the move')
      // Every request started a second or more after the move answers with the new version.
      assert.deepEqual(mine.filter((s) => s.started >= movedAt + 1000 && s.version !== '2'), [])
      const firstNew = mine.find((s) => s.version === '2' && s.started >= moveStart)
      assert.ok(firstNew, `replica ${replica} switched`)
      const lastOld = mine.filter((s) => s.version === '1').at(-1)!
      console.log(`# replica ${replica}: ${mine.length} requests; last #1 request started ${(lastOld.started - movedAt).toFixed(0)} ms after the move answered`)
    }
  })

  it('follows a deploy, a swap and an undeploy made through another replica', async () => {
    const created = await post(`${url(0)}/v1/pipelines`, { name: 'flow', steps: [{ ref: 'iris#1' }] })
    assert.equal(created.status, 201, await created.clone().text())
    assert.equal((await post(`${url(0)}/v1/pipelines/flow/deploy`, { replicas: 1 })).status, 200)
    const pipelineStatus = async (i: number) => (await post(`${url(i)}/v2/models/flow/infer`, v2Request())).status
    for (const i of [1, 2]) assert.equal(await pipelineStatus(i), 200)
    const swapped = await post(`${url(0)}/v1/pipelines/flow/swap-step`, { index: 0, ref: 'iris#2' })
    assert.equal(swapped.status, 200, await swapped.clone().text())
    const during = await Promise.all(Array.from({ length: 20 }, (_, k) => pipelineStatus(1 + (k % 2))))
    assert.deepEqual(during.filter((s) => s !== 200), [])
    assert.equal((await post(`${url(0)}/v1/pipelines/flow/undeploy`, {})).status, 200)
    assert.equal(await waitFor(() => pipelineStatus(1), (v) => v !== 200, 1000), 404)
  })

  it('catches up when a replica restarts, and when it was down during changes', async () => {
    await cluster.kill(2)
    assert.equal((await post(`${url(0)}/v1/models/iris%231/tags`, { tag: 'prod' })).status, 200)
    await cluster.start(2)
    assert.deepEqual(await inferProd(url(2)), { ok: true, version: '1' })
    assert.equal((await post(`${url(0)}/v1/models/iris%232/tags`, { tag: 'prod' })).status, 200)
    assert.deepEqual(await waitFor(() => inferProd(url(2)), (r) => r.ok && r.version === '2', 1000), { ok: true, version: '2' })
  })
})

/** Polls `probe` until `done` or `ms` pass; returns the last answer. */
async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = performance.now() + ms
  for (;;) {
    const v = await probe()
    if (done(v) || performance.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 20))
  }
}
