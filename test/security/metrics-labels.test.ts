/**
 * /metrics as an attack surface: labels taken from requests (unbounded series, memory) and labels
 * of other workspaces (names leaking to any token).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { CreatedToken } from '../../src/api/auth-api.js'
import type { AuthApi } from '../../src/api/auth-api.js'
import { ServerMetrics } from '../../src/server/metrics.js'
import { KnownModels, type LabelRequest } from '../../src/server/request-labels.js'
import { IRIS_ONNX, golden, openHarness, type Harness } from '../server/harness.js'

/** Each a fresh name; every series they could add would show after the first dozen. */
const HOSTILE = 1200

/** Sample lines (one per series and bucket) of an exposition text. */
function seriesCount(text: string): number {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length
}

describe('labels for 20,000 made-up names', () => {
  it('stay within a fixed set of series, whoever asks', async () => {
    let lists = 0
    const known = new KnownModels(async (ws) => {
      lists++
      return ws === 'default' ? ['iris'] : ws === 'team-a' ? ['alpha'] : []
    })
    const metrics = new ServerMetrics()
    const observe = async (req: LabelRequest) => metrics.observe('POST', '/v2/models/:name/infer', 404, await known.labels(req), 0.001)
    const round = async (i: number) => {
      await observe({ ref: `ghost-${i}` })
      await observe({ requestedWorkspace: `ws-${i}`, ref: `ghost-${i}` })
      await observe({ ref: `ws-${i}/iris` })
      await observe({ principalWorkspace: 'team-a', ref: `team-b/secret-${i}` })
      await observe({ principalWorkspace: 'team-a', ref: `secret-${i}` })
      await observe({ ref: `not a name ${i}` })
    }
    await round(0)
    await observe({ ref: 'iris' })
    await observe({ principalWorkspace: 'team-a', ref: 'alpha' })
    const before = seriesCount(await metrics.render())
    for (let i = 1; i <= 20_000; i++) await round(i)
    const text = await metrics.render()
    assert.equal(seriesCount(text), before)
    assert.doesNotMatch(text, /ghost-|secret-|ws-\d|not a name/)
    assert.match(text, /workspace="default",model="iris"/)
    assert.match(text, /workspace="team-a",model="alpha"/)
    assert.ok(lists > 20_000, 'made-up workspaces are looked up, not trusted')
  })
})

describe('metric labels come from the registry, not the request', () => {
  let h: Harness
  let body: string
  before(async () => {
    h = await openHarness()
    await h.api.uploadModel({ name: 'iris', source: { path: IRIS_ONNX }, framework: 'onnx' })
    body = JSON.stringify(await golden('v2-infer-request-iris.json'))
  })
  after(() => h.close())

  // Every door that takes a model name or a workspace from the request, with made-up values.
  const hostile = (i: number) => {
    const name = `ghost-${i}-${Math.random().toString(36).slice(2, 8)}`
    const kind = i % 6
    if (kind === 0) return h.app.request(`/v2/models/${name}/infer`, { method: 'POST', body })
    if (kind === 1) return h.app.request(`/v1/models/${name}/infer`, { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } })
    if (kind === 2) return h.app.request(`/v1/models/${name}`)
    if (kind === 3) return h.app.request(`/v2/models/${name}/versions/7/ready`)
    if (kind === 4) return h.app.request(`/v1/models?workspace=${name}`)
    return h.app.request(`/v1/models/${name}%2Firis`)
  }

  it(`${HOSTILE} requests for unknown models and workspaces add no series and name none of them`, async () => {
    for (let i = 0; i < 12; i++) await hostile(i)
    await h.app.request('/metrics')
    const before = await (await h.app.request('/metrics')).text()
    const seen = new Set<number>()
    for (let start = 0; start < HOSTILE; start += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, (_, j) => hostile(start + j)))
      for (const res of batch) {
        seen.add(res.status)
        await res.body?.cancel()
      }
    }
    const afterText = await (await h.app.request('/metrics')).text()
    const series = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/ [^ ]+$/, ''))
    const added = series(afterText).filter((l) => !series(before).includes(l))
    assert.deepEqual(added, [], 'no series added')
    assert.equal(seriesCount(afterText), seriesCount(before), 'series count unchanged')
    assert.doesNotMatch(afterText, /ghost-/)
    assert.match(afterText, /quiver_http_requests_total\{method="POST",route="\/v2\/models\/:name\/infer",status="404",workspace="default",model="\(unknown\)"\} \d+/)
    assert.match(afterText, /workspace="\(unknown\)"/, 'a made-up workspace is counted under (unknown)')
    assert.ok(![...seen].some((s) => s >= 500), `no 5xx among ${[...seen].join(', ')}`)
    console.log(`# /metrics: ${before.length} bytes, ${seriesCount(before)} series before; ${afterText.length} bytes, ${seriesCount(afterText)} series after ${HOSTILE} hostile requests`)
  })

  it('still counts an existing model by name', async () => {
    assert.equal((await h.app.request('/v2/models/iris/infer', { method: 'POST', body })).status, 200)
    const text = await (await h.app.request('/metrics')).text()
    assert.match(text, /quiver_http_requests_total\{method="POST",route="\/v2\/models\/:name\/infer",status="200",workspace="default",model="iris"\} 1/)
  })
})

describe('/metrics with tokens shows the caller workspace only', () => {
  let h: Harness
  let auth: AuthApi
  let viewerA: CreatedToken, ownerB: CreatedToken
  before(async () => {
    h = await openHarness((api) => {
      auth = api.auth
      return { auth: (t) => auth.verifyToken(t), tokens: auth }
    })
    viewerA = await auth.createToken({ workspace: 'team-a', role: 'viewer' })
    ownerB = await auth.createToken({ workspace: 'team-b', role: 'owner' })
    await h.api.uploadModel({ name: 'alpha-model', workspace: 'team-a', source: { path: IRIS_ONNX }, framework: 'onnx' })
    await h.api.uploadModel({ name: 'beta-secret-model', workspace: 'team-b', source: { path: IRIS_ONNX }, framework: 'onnx' })
  })
  after(() => h.close())

  const as = (t: CreatedToken | undefined, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (t) headers.set('authorization', `Bearer ${t.token}`)
    return h.app.request(path, { ...init, headers })
  }

  it('never shows workspace B or its models to a token of A', async () => {
    const body = JSON.stringify(await golden('v2-infer-request-iris.json'))
    assert.equal((await as(ownerB, '/v2/models/beta-secret-model/infer', { method: 'POST', body })).status, 200)
    assert.equal((await as(viewerA, '/v2/models/alpha-model/infer', { method: 'POST', body })).status, 200)
    // A asks for B's model by name, and without a token someone asks for it in B's workspace.
    assert.equal((await as(viewerA, '/v2/models/beta-secret-model/infer', { method: 'POST', body })).status, 404)
    assert.equal((await as(undefined, '/v2/models/beta-secret-model?workspace=team-b')).status, 401)
    assert.equal((await as(undefined, '/metrics')).status, 401, '/metrics needs a token')

    const a = await as(viewerA, '/metrics')
    assert.equal(a.status, 200)
    const textA = await a.text()
    assert.doesNotMatch(textA, /beta-secret-model|team-b/)
    assert.match(textA, /status="200",workspace="team-a",model="alpha-model"\} 1/)
    assert.match(textA, /status="404",workspace="team-a",model="\(unknown\)"\} 1/)
    for (const [name, value] of a.headers) assert.doesNotMatch(`${name}: ${value}`, /beta|team-b/)

    const textB = await (await as(ownerB, '/metrics')).text()
    assert.match(textB, /status="200",workspace="team-b",model="beta-secret-model"\} 1/)
    assert.doesNotMatch(textB, /alpha-model|team-a/)
  })
})
