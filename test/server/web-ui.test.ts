/** The web UI's static files and `/v1/whoami`, in process: caching headers, no token needed for the pages, roles. */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Hono } from 'hono'
import { webUiRoutes } from '../../src/server/web-ui.js'
import { json, openHarness, type Harness } from './harness.js'

describe('web UI files', () => {
  let root: string
  let app: Hono
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'quiver-ui-files-'))
    await mkdir(join(root, 'assets'))
    await writeFile(join(root, 'index.html'), '<!doctype html><script type="module" src="/assets/index-Ab12.js"></script>')
    await writeFile(join(root, 'assets/index-Ab12.js'), 'console.log(1)')
    await writeFile(join(root, 'secret.txt'), 'no')
    app = new Hono().route('/', webUiRoutes(root))
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('serves index.html revalidated and hashed assets immutable, with their types', async () => {
    const index = await app.request('/')
    assert.equal(index.status, 200)
    assert.equal(index.headers.get('cache-control'), 'no-cache')
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8')
    const asset = await app.request('/assets/index-Ab12.js')
    assert.equal(asset.status, 200)
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.equal(await asset.text(), 'console.log(1)')
  })

  it('answers 404 for missing assets and anything outside assets/', async () => {
    for (const p of ['/assets/nope-1.js', '/assets/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/assets/.hidden', '/secret.txt']) {
      assert.equal((await app.request(p)).status, 404, p)
    }
  })

  it('says how to build the UI when it is not built', async () => {
    const bare = new Hono().route('/', webUiRoutes(join(root, 'absent')))
    const res = await bare.request('/')
    assert.equal(res.status, 503)
    assert.match(await res.text(), /npm run build/)
  })
})

describe('the web UI behind --auth', () => {
  let h: Harness
  before(async () => {
    h = await openHarness((api) => ({ auth: (t) => api.auth.verifyToken(t), tokens: api.auth }))
  })
  after(() => h.close())

  it('serves the pages without a token, and /v1/whoami names the token\'s role', async () => {
    assert.notEqual((await h.app.request('/')).status, 401)
    assert.equal((await h.app.request('/v1/whoami')).status, 401)
    const { token } = await h.api.auth.createToken({ workspace: 'default', role: 'viewer' })
    const me = await json(await h.app.request('/v1/whoami', { headers: { authorization: `Bearer ${token}` } }))
    assert.deepEqual(me, { auth: true, workspace: 'default', role: 'viewer', user: null })
  })

  it('says role null without auth', async () => {
    const open = await openHarness()
    try {
      assert.deepEqual(await json(await open.app.request('/v1/whoami')), { auth: false, workspace: null, role: null, user: null })
    } finally {
      await open.close()
    }
  })
})
