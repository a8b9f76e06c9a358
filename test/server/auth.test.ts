/** Bearer tokens: who may do what, and that nobody sees another workspace. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { CreatedToken } from '../../src/api/auth-api.js'
import type { AuthApi } from '../../src/api/auth-api.js'
import { IRIS_ONNX, golden, json, openHarness, uploadForm, type Harness } from './harness.js'

describe('auth on the HTTP door', () => {
  let h: Harness
  let auth: AuthApi
  let owner: CreatedToken, editor: CreatedToken, viewer: CreatedToken, other: CreatedToken
  before(async () => {
    h = await openHarness((api) => {
      auth = api.auth
      return { auth: (t) => auth.verifyToken(t), tokens: auth }
    })
    owner = await auth.createToken({ workspace: 'team-a', role: 'owner', user: 'olga' })
    editor = await auth.createToken({ workspace: 'team-a', role: 'editor' })
    viewer = await auth.createToken({ workspace: 'team-a', role: 'viewer' })
    other = await auth.createToken({ workspace: 'team-b', role: 'owner' })
    // team-b has a model of its own, uploaded in process.
    await h.api.uploadModel({ name: 'secret', workspace: 'team-b', source: { path: IRIS_ONNX }, framework: 'onnx' })
  })
  after(() => h.close())

  const as = (t: CreatedToken | string | undefined, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (t) headers.set('authorization', typeof t === 'string' ? t : `Bearer ${t.token}`)
    return h.app.request(path, { ...init, headers })
  }

  it('lets health through without a token and refuses everything else with 401', async () => {
    assert.equal((await as(undefined, '/v2/health/live')).status, 200)
    assert.equal((await as(undefined, '/v2/health/ready')).status, 200)
    for (const path of ['/v1/models', '/v2', '/v2/models/secret', '/metrics', '/openapi.json']) {
      const res = await as(undefined, path)
      assert.equal(res.status, 401, path)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="quiver"')
    }
    const v1 = await json(await as(undefined, '/v1/models'))
    assert.equal(v1.error.code, 'unauthorized')
    assert.match(v1.error.message, /needs a token: send Authorization: Bearer TOKEN/)
    assert.match((await json(await as(undefined, '/v2'))).error, /needs a token/)
    assert.match((await json(await as('Basic abc', '/v1/models'))).error.message, /must be "Bearer TOKEN"/)
    assert.match((await json(await as('Bearer qvr_wrong', '/v1/models'))).error.message, /not valid \(unknown or revoked\)/)
  })

  it('lets an editor upload and tag, a viewer read and infer but not upload (403)', async () => {
    const up = await as(editor, '/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    assert.equal(up.status, 201)
    assert.equal((await json(up)).workspace, 'team-a')
    const denied = await as(viewer, '/v1/models', { method: 'POST', body: await uploadForm({ name: 'iris', framework: 'onnx' }, { path: IRIS_ONNX }) })
    assert.equal(denied.status, 403)
    assert.match((await json(denied)).error.message, /a viewer token cannot upload models; it needs the editor role/)
    const tag = await as(viewer, '/v1/models/iris/tags', { method: 'POST', body: '{"tag":"x"}', headers: { 'content-type': 'application/json' } })
    assert.equal(tag.status, 403)
    assert.deepEqual((await json(await as(viewer, '/v1/models'))).map((m: any) => m.name), ['iris'])
    const infer = await as(viewer, '/v2/models/iris/infer', { method: 'POST', body: JSON.stringify(await golden('v2-infer-request-iris.json')) })
    assert.equal(infer.status, 200)
    assert.equal((await json(await as(editor, '/v1/models/iris/versions'))).length, 1)
  })

  it('answers 404, not 403, for another workspace and its models', async () => {
    for (const path of ['/v1/models?workspace=team-b', '/v1/models/team-b%2Fsecret', '/v1/models/secret', '/v2/models/secret', '/v2/models/secret/ready']) {
      const res = await as(editor, path)
      assert.equal(res.status, 404, path)
    }
    const v2 = await as(editor, '/v2/models/secret', { headers: { 'quiver-workspace': 'team-b' } })
    assert.equal(v2.status, 404)
    assert.match((await json(v2)).error, /workspace 'team-b' does not exist/)
    // team-b's own owner sees its model and not team-a's.
    assert.deepEqual((await json(await as(other, '/v1/models'))).map((m: any) => m.name), ['secret'])
    assert.equal((await as(other, '/v1/models/iris')).status, 404)
  })

  it('lets an owner create and revoke tokens of its workspace; a revoked token gets 401', async () => {
    assert.equal((await as(editor, '/v1/tokens', { method: 'POST', body: '{"role":"viewer"}' })).status, 403)
    const created = await as(owner, '/v1/tokens', { method: 'POST', body: '{"role":"viewer"}' })
    assert.equal(created.status, 201)
    const fresh = await json(created)
    assert.equal(fresh.workspace, 'team-a')
    assert.equal((await as(fresh.token, '/v1/models')).status, 401, 'a raw token without Bearer is refused')
    assert.equal((await as(`Bearer ${fresh.token}`, '/v1/models')).status, 200)
    assert.equal((await as(owner, '/v1/tokens', { method: 'POST', body: '{"role":"viewer","workspace":"team-b"}' })).status, 404)
    assert.equal((await as(owner, `/v1/tokens/${other.id}`, { method: 'DELETE' })).status, 404)
    const listed = await json(await as(owner, '/v1/tokens'))
    assert.ok(listed.every((t: any) => t.workspace === 'team-a' && !('token' in t)))
    const revoked = await as(owner, `/v1/tokens/${fresh.id}`, { method: 'DELETE' })
    assert.equal(revoked.status, 200)
    const after = await as(`Bearer ${fresh.token}`, '/v1/models')
    assert.equal(after.status, 401)
    assert.match((await json(after)).error.message, /unknown or revoked/)
    assert.equal((await as(owner, '/v1/models')).status, 200, 'the server keeps serving')
  })
})
