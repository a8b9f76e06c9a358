/**
 * Tenancy through every door of a real `quiver serve --auth`: a token of workspace A calls every
 * route, with its own names, with none, and with workspace B's names, and nothing of B comes back.
 * Asked for B's things by name, the server answers exactly as for things that do not exist.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CITIES_SQL, writeParquet } from '../features/feature-fixtures.js'
import { makeTemp, removeTemp, REPO, runCli } from '../helpers/cli.js'
import { serve, type Served } from '../helpers/serve.js'

const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris/model.onnx')

/** What B owns, and stand-ins of the same shape that exist nowhere. */
const B = { model: 'beta-secret-model', workspace: 'team-b', tag: 'beta-secret-tag', features: 'beta-secret-features' }
const GHOST = { model: 'ghost-model', workspace: 'team-ghost', tag: 'ghost-tag', features: 'ghost-features' }
/** `job`: the id of one of the workspace's jobs. */
type Names = typeof B & { token: string; job: string }
const GHOST_JOB = '987654321'

interface Probe {
  method: string
  path: string
  body?: string
  headers?: Record<string, string>
}

interface Answer {
  status: number
  headers: [string, string][]
  body: string
}

describe('tenancy: a token of workspace A never sees workspace B', () => {
  let home: string
  let server: Served
  let tokenA: string, tokenB: string
  let idB: string
  let jobB: string
  let cities: string
  const secrets: string[] = [B.model, B.workspace, B.tag, B.features, 'beta-secret-description', 'beta-secret-meta']
  let v2Body: string
  let v1Body: string

  before(async () => {
    home = await makeTemp('quiver-tenancy-')
    const make = async (ws: string) => {
      const r = await runCli(['--workspace', ws, '--json', 'token', 'create', '--role', 'owner'], { home })
      assert.equal(r.code, 0, r.stderr)
      return JSON.parse(r.stdout) as { id: string; token: string }
    }
    const a = await make('team-a')
    const b = await make(B.workspace)
    tokenA = a.token
    tokenB = b.token
    idB = b.id
    secrets.push(idB)
    cities = join(home, 'cities.parquet')
    await writeParquet(cities, CITIES_SQL)
    server = await serve(home, ['--auth'])
    v2Body = await readFile(join(REPO, 'test/fixtures/protocol/v2-infer-request-iris.json'), 'utf8')
    v1Body = await readFile(join(REPO, 'test/fixtures/models/onnx-mlp-iris/input.json'), 'utf8')

    // B's world: a tagged, described model with metadata, a feature set, an inference.
    const upB = await upload(tokenB, B.model, { tag: B.tag, description: 'beta-secret-description', meta: '{"owner":"beta-secret-meta"}' })
    assert.equal(upB.status, 201, upB.body)
    const vB = JSON.parse(upB.body)
    secrets.push(vB.version)
    // B's conversion job, queued by a --no-wait upload.
    const laterB = await upload(tokenB, B.model, { no_wait: 'true', description: 'beta-secret-description' })
    assert.equal(laterB.status, 201, laterB.body)
    const jobsB = await call(tokenB, { method: 'GET', path: '/v1/jobs' })
    assert.equal(jobsB.status, 200, jobsB.body)
    jobB = String(JSON.parse(jobsB.body)[0].id)
    const fsB = await call(tokenB, { method: 'POST', path: '/v1/features', body: JSON.stringify(featureSet(B.features, null)) })
    assert.equal(fsB.status, 201, fsB.body)
    assert.equal((await call(tokenB, { method: 'POST', path: `/v2/models/${B.model}/infer`, body: v2Body })).status, 200)
    // A's own model, so that A's answers are not empty.
    assert.equal((await upload(tokenA, 'alpha-model', {})).status, 201)
    assert.equal((await upload(tokenA, 'alpha-model', { no_wait: 'true' })).status, 201)
  })

  after(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL')
      await new Promise((r) => server.child.once('exit', r))
    }
    await removeTemp(home)
  })

  async function call(token: string | null, p: Probe): Promise<Answer> {
    const headers = new Headers(p.headers)
    if (token) headers.set('authorization', `Bearer ${token}`)
    if (p.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json')
    const res = await fetch(server.url + p.path, { method: p.method, headers, body: p.body })
    return { status: res.status, headers: [...res.headers].filter(([k]) => k !== 'date'), body: await res.text() }
  }

  async function upload(token: string, name: string, fields: Record<string, string>): Promise<Answer> {
    const form = new FormData()
    form.append('name', name)
    form.append('framework', 'onnx')
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append('file', new Blob([await readFile(IRIS)]), 'model.onnx')
    const res = await fetch(`${server.url}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    return { status: res.status, headers: [...res.headers], body: await res.text() }
  }

  function featureSet(name: string, model: string | null) {
    const features: unknown[] = [{ name: 'risk_base', type: 'float64' }]
    if (model) features.push({ name: 'probe', type: 'float32', inference: { model, inputs: ['risk_base'] } })
    return { name, entity: ['city_id'], event_time: 'ts', source: { path: cities }, features }
  }

  /** Every route that takes a name, filled with `n`'s names. */
  function named(n: Names): Probe[] {
    const M = n.model
    const W = n.workspace
    const json = { 'content-type': 'application/json' }
    return [
      { method: 'GET', path: `/v1/models?workspace=${W}` },
      { method: 'GET', path: `/v1/models/${M}` },
      { method: 'GET', path: `/v1/models/${W}%2F${M}` },
      { method: 'GET', path: `/v1/models/${M}`, headers: { 'quiver-workspace': W } },
      { method: 'GET', path: `/v1/models/${M}/status` },
      { method: 'GET', path: `/v1/models/${M}/versions` },
      { method: 'GET', path: `/v1/models/${W}%2F${M}/versions` },
      { method: 'GET', path: `/v1/models/${M}/versions/1` },
      { method: 'GET', path: `/v1/models/${M}/versions/1/status` },
      { method: 'GET', path: `/v1/models/${M}/versions/${n.tag}` },
      { method: 'GET', path: `/v1/models/${M}@${n.tag}` },
      { method: 'POST', path: `/v1/models/${M}/infer`, body: v1Body, headers: json },
      { method: 'POST', path: `/v1/models/${W}%2F${M}/infer`, body: v1Body, headers: json },
      { method: 'POST', path: `/v1/models/${M}/versions/1/infer`, body: v1Body, headers: json },
      { method: 'POST', path: `/v1/models/${M}/infer?workspace=${W}`, body: v1Body, headers: json },
      { method: 'POST', path: `/v1/models/${M}/infer`, body: '{"columns":', headers: json },
      { method: 'POST', path: `/v1/models/${M}/tags`, body: '{"tag":"x"}' },
      { method: 'POST', path: `/v1/models/${W}%2F${M}/tags`, body: '{"tag":"x"}' },
      { method: 'DELETE', path: `/v1/models/${M}/tags/${n.tag}` },
      { method: 'GET', path: `/v1/features/${n.features}` },
      { method: 'GET', path: `/v1/features?workspace=${W}` },
      { method: 'POST', path: '/v1/features', body: JSON.stringify(featureSet('probe-set', M)) },
      { method: 'POST', path: '/v1/features', body: JSON.stringify(featureSet('probe-set', `${W}/${M}`)) },
      { method: 'POST', path: '/v1/tokens', body: JSON.stringify({ role: 'viewer', workspace: W }) },
      { method: 'DELETE', path: `/v1/tokens/${n.token}` },
      { method: 'GET', path: `/v1/jobs/${n.job}` },
      { method: 'GET', path: `/v1/jobs/${n.job}?workspace=${W}` },
      { method: 'POST', path: `/v1/jobs/${n.job}/cancel` },
      { method: 'GET', path: `/v1/jobs?workspace=${W}` },
      { method: 'GET', path: `/v2/models/${M}` },
      { method: 'GET', path: `/v2/models/${M}/ready` },
      { method: 'GET', path: `/v2/models/${M}/versions/1` },
      { method: 'GET', path: `/v2/models/${M}/versions/1/ready` },
      { method: 'GET', path: `/v2/models/${M}`, headers: { 'quiver-workspace': W } },
      { method: 'POST', path: `/v2/models/${M}/infer`, body: v2Body },
      { method: 'POST', path: `/v2/models/${M}/versions/1/infer`, body: v2Body },
      { method: 'POST', path: `/v2/models/${M}/infer?workspace=${W}`, body: v2Body },
      { method: 'POST', path: `/v2/models/${M}/infer`, body: '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[1,2]}]}' },
      { method: 'PUT', path: `/v2/models/${M}/infer`, body: v2Body },
    ]
  }

  /** Routes that name nothing. */
  const unnamed: Probe[] = [
    { method: 'GET', path: '/v1/models' },
    { method: 'GET', path: '/v1/models/alpha-model' },
    { method: 'GET', path: '/v1/models/alpha-model/versions' },
    { method: 'POST', path: '/v1/models/alpha-model/infer', body: '{"columns":{"features":[[1,2,3,4]]}}' },
    { method: 'GET', path: '/v1/features' },
    { method: 'GET', path: '/v1/tokens' },
    { method: 'GET', path: '/v1/jobs' },
    { method: 'GET', path: '/v1/jobs?kind=convert&state=succeeded' },
    { method: 'GET', path: '/v2' },
    { method: 'GET', path: '/v2/models/alpha-model' },
    { method: 'GET', path: '/v2/health/live' },
    { method: 'GET', path: '/v2/health/ready' },
    { method: 'GET', path: '/openapi.json' },
    { method: 'GET', path: '/nope' },
    { method: 'PUT', path: '/v1/models' },
    { method: 'GET', path: '/metrics' },
  ]

  const leaks = (a: Answer): string[] => {
    const text = a.body + '\n' + a.headers.map(([k, v]) => `${k}: ${v}`).join('\n')
    return secrets.filter((s) => text.includes(s))
  }

  it('B exists: its own token sees its model, tag, feature set and metrics', async () => {
    const v = await call(tokenB, { method: 'GET', path: `/v1/models/${B.model}@${B.tag}` })
    assert.equal(v.status, 200)
    assert.match(v.body, /beta-secret-description/)
    assert.equal((await call(tokenB, { method: 'GET', path: `/v1/features/${B.features}` })).status, 200)
    assert.match((await call(tokenB, { method: 'GET', path: '/metrics' })).body, /model="beta-secret-model"/)
  })

  it('routes that name nothing answer A without anything of B', async () => {
    for (const p of unnamed) {
      const a = await call(tokenA, p)
      assert.ok(a.status < 500, `${p.method} ${p.path}: ${a.status} ${a.body}`)
      assert.deepEqual(leaks(a), [], `${p.method} ${p.path} answered ${a.status} ${a.body.slice(0, 300)}`)
    }
    const models = await call(tokenA, { method: 'GET', path: '/v1/models' })
    assert.deepEqual(JSON.parse(models.body).map((m: { name: string }) => m.name), ['alpha-model'])
    const jobs = JSON.parse((await call(tokenA, { method: 'GET', path: '/v1/jobs' })).body) as { workspace: string; payload: { model: string } }[]
    assert.deepEqual(jobs.map((j) => `${j.workspace}/${j.payload.model}`), ['team-a/alpha-model#2'])
  })

  it("routes given B's names answer A exactly as for names that exist nowhere", async () => {
    const asB = named({ ...B, token: idB, job: jobB })
    const asGhost = named({ ...GHOST, token: 'tok_0000000000000000', job: GHOST_JOB })
    const norm = (s: string, n: Names) =>
      s.replaceAll(`job ${n.job} `, 'job <job> ').replaceAll(`"job":${n.job}`, '"job":<job>').replaceAll(n.token, '<token>').replaceAll(n.features, '<features>').replaceAll(n.tag, '<tag>').replaceAll(n.model, '<model>').replaceAll(n.workspace, '<ws>')
    for (const [i, p] of asB.entries()) {
      const b = await call(tokenA, p)
      const g = await call(tokenA, asGhost[i]!)
      const what = `${p.method} ${p.path}`
      assert.ok(b.status >= 400 && b.status < 500, `${what}: ${b.status} ${b.body}`)
      assert.equal(b.status, g.status, `${what}: ${b.body} vs ${g.body}`)
      assert.equal(norm(b.body, { ...B, token: idB, job: jobB }), norm(g.body, { ...GHOST, token: 'tok_0000000000000000', job: GHOST_JOB }), what)
      assert.deepEqual(b.headers.map(([k, v]) => [k, k === 'content-length' ? '' : v]), g.headers.map(([k, v]) => [k, k === 'content-length' ? '' : v]), what)
      // Only what A typed itself may come back, and only inside "does not exist" answers.
      const extra = leaks(b).filter((s) => !Object.values(p).some((x) => JSON.stringify(x ?? '').includes(s)))
      assert.deepEqual(extra, [], `${what} answered ${b.body}`)
    }
  })

  it("A's metrics and log lines name nothing of B", async () => {
    const metrics = await call(tokenA, { method: 'GET', path: '/metrics' })
    assert.equal(metrics.status, 200)
    assert.deepEqual(leaks(metrics), [])
    assert.match(metrics.body, /workspace="team-a",model="alpha-model"/)
    assert.match(metrics.body, /workspace="team-a",model="\(unknown\)"/)
    const linesOfA = server.stderr().split('\n').filter((l) => l.includes('"workspace":"team-a"'))
    assert.ok(linesOfA.length > 50, `request log lines of A: ${linesOfA.length}`)
    for (const line of linesOfA) assert.deepEqual(secrets.filter((s) => line.includes(s)), [], line)
  })
})
