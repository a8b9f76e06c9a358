import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openArtifactStore } from '../../src/artifacts/open-artifacts.js'
import { S3ArtifactStore } from '../../src/artifacts/s3/s3-artifact-store.js'
import { parseS3Location, type S3Location } from '../../src/artifacts/s3/s3-location.js'
import { artifactStoreSuite } from './artifact-store.suite.js'
import { S3_CREDENTIALS, startFaultProxy, startS3, type FaultProxy, type TestS3 } from './s3-server.js'

const BUCKET = 'quiver-test'
const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quiver-s3-artifacts-'))
  dirs.push(d)
  return d
}

const list = async (dir: string) => (existsSync(dir) ? readdir(dir) : [])
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function storeAt(endpoint: string, opts: { bucket?: string; prefix?: string; maxAttempts?: number; credentials?: typeof S3_CREDENTIALS } = {}) {
  const loc: S3Location = { bucket: opts.bucket ?? BUCKET, prefix: opts.prefix ?? `p-${randomBytes(4).toString('hex')}`, endpoint, region: 'us-east-1' }
  return new S3ArtifactStore(loc, {
    cacheDir: join(await tempDir(), 'cache'),
    credentials: opts.credentials ?? S3_CREDENTIALS,
    maxAttempts: opts.maxAttempts,
  })
}

let shared: TestS3 | undefined
artifactStoreSuite('s3', async () => {
  shared = await startS3([BUCKET])
  const s3 = shared
  const store = await storeAt(s3.endpoint)
  const scratch = join(await tempDir(), 'scratch')
  await mkdir(scratch)
  return {
    store,
    scratch,
    async corrupt(digest) {
      const objects = await store.objects()
      await objects.putBytes(await store.blobKey(digest), Buffer.from('not the original bytes'))
      // As seen from a machine that has not cached the blob yet.
      await store.cache.delete(digest)
    },
    async leftovers() {
      const root = store.cache.root
      const extracted = (await list(join(root, 'extracted'))).filter((f) => f.startsWith('.tmp'))
      const objects = await store.objects()
      const stray: string[] = []
      for await (const key of objects.list(`${store.location.prefix}/`)) {
        if (!key.startsWith(`${store.location.prefix}/blobs/`)) stray.push(key)
      }
      return [...(await list(join(root, 'tmp'))), ...extracted, ...stray]
    },
    storedBlobs: () => store.listBlobs(),
    async close() {
      store.close()
    },
  }
})

describe('S3ArtifactStore against an S3 server that misbehaves', () => {
  let s3: TestS3
  let proxy: FaultProxy
  before(async () => {
    s3 = await startS3([BUCKET])
    proxy = await startFaultProxy(s3.endpoint)
  })
  after(async () => {
    await proxy?.close()
    await s3?.close()
  })

  it('uploads a body larger than one part in parts and loads it on another machine', async () => {
    const bytes = Buffer.concat([randomBytes(1024), Buffer.alloc(20 * 1024 * 1024, 7)])
    const one = await storeAt(proxy.endpoint)
    const before = proxy.seen.length
    const ref = await one.put((async function* () { for (let i = 0; i < bytes.length; i += 1 << 20) yield bytes.subarray(i, i + (1 << 20)) })())
    assert.deepEqual(ref, { sha256: sha(bytes), size: bytes.length })
    const parts = proxy.seen.slice(before).filter((r) => r.method === 'PUT' && /partNumber=/.test(r.url))
    assert.equal(parts.length, 3, 'three 8 MiB parts')
    const two = new S3ArtifactStore(one.location, { cacheDir: join(await tempDir(), 'cache'), credentials: S3_CREDENTIALS })
    assert.deepEqual(await readFile(await two.localPath(ref.sha256)), bytes)
    one.close(); two.close()
  })

  it('retries a part the server answered 500 to, and the upload succeeds', async () => {
    const store = await storeAt(proxy.endpoint)
    const bytes = Buffer.concat([randomBytes(64), Buffer.alloc(9 * 1024 * 1024, 3)])
    proxy.fail((m, u) => m === 'PUT' && /partNumber=2/.test(u), 1)
    const ref = await store.put((async function* () { yield bytes })())
    assert.equal(ref.sha256, sha(bytes))
    const part2 = proxy.seen.filter((r) => /partNumber=2/.test(r.url) && r.url.includes(store.location.prefix))
    assert.deepEqual(part2.map((r) => r.status), [500, 200])
    assert.equal(await store.has(ref.sha256), true)
    store.close()
  })

  it('fails clearly when the server keeps answering 500, registers nothing and aborts the parts', async () => {
    const store = await storeAt(proxy.endpoint, { maxAttempts: 2 })
    const bytes = Buffer.concat([randomBytes(64), Buffer.alloc(9 * 1024 * 1024, 5)])
    proxy.fail((m, u) => m === 'PUT' && /partNumber=/.test(u), Infinity)
    try {
      await assert.rejects(store.put((async function* () { yield bytes })()), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'runtime_failure')
        assert.match(err.message, /artifact store s3:\/\/quiver-test\/p-\w+ at http:\/\/127\.0\.0\.1:\d+ answered 500 InternalError to upload p-\w+\/blobs\/[0-9a-f]{2}\/[0-9a-f]{64} after 2 attempts/)
        return true
      })
    } finally {
      proxy.heal()
    }
    assert.equal(await store.has(sha(bytes)), false)
    assert.deepEqual(await store.listBlobs(), [])
    const aborts = proxy.seen.filter((r) => r.method === 'DELETE' && /uploadId=/.test(r.url) && r.url.includes(store.location.prefix))
    assert.equal(aborts.length, 1, 'the multipart upload is aborted')
    assert.deepEqual(await list(join(store.cache.root, 'tmp')), [])
    // Healed, the same bytes go up.
    assert.equal((await store.put((async function* () { yield bytes })())).sha256, sha(bytes))
    assert.equal(await store.has(sha(bytes)), true)
    store.close()
  })

  it('fails clearly on a small upload answered 500 after its retries', async () => {
    const store = await storeAt(proxy.endpoint, { maxAttempts: 3 })
    const bytes = randomBytes(1000)
    proxy.fail((m) => m === 'PUT', Infinity)
    try {
      await assert.rejects(store.put((async function* () { yield bytes })()), /answered 500 InternalError to upload .* after 3 attempts/)
    } finally {
      proxy.heal()
    }
    assert.equal(await store.has(sha(bytes)), false)
    store.close()
  })

  it('never uploads a cached copy that went bad on disk', async () => {
    const store = await storeAt(s3.endpoint)
    const bytes = randomBytes(2000)
    const { sha256 } = await store.put((async function* () { yield bytes })())
    await (await store.objects()).delete(await store.blobKey(sha256))
    // As after a restart: the copy is no longer known good in this process, and it rotted meanwhile.
    await store.cache.delete(sha256)
    await mkdir(join(store.cache.blobPath(sha256), '..'), { recursive: true })
    await writeFile(store.cache.blobPath(sha256), 'rotten')
    await assert.rejects(store.put((async function* () { yield bytes })()), new RegExp(`artifact blob ${sha256} in the local cache is corrupt`))
    assert.equal(await store.has(sha256), false)
    store.close()
  })

  it('names a bucket that does not exist', async () => {
    const store = await storeAt(s3.endpoint, { bucket: 'no-such-bucket' })
    const expected = (err: Error & { code?: string }) => {
      assert.equal(err.code, 'runtime_failure')
      assert.match(err.message, /bucket 'no-such-bucket' does not exist/)
      return true
    }
    await assert.rejects(store.put((async function* () { yield Buffer.from('x') })()), expected)
    await assert.rejects(store.has(sha(Buffer.from('x'))), expected)
    await assert.rejects(store.localPath(sha(Buffer.from('x'))), expected)
    assert.deepEqual(await list(join(store.cache.root, 'blobs')), [])
    store.close()
  })

  it('says the credentials were refused', async () => {
    const store = await storeAt(s3.endpoint, { credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } })
    await assert.rejects(store.put((async function* () { yield Buffer.from('y') })()), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'runtime_failure')
      assert.match(err.message, /refused the credentials while trying to check the bucket \(\w+\); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/)
      return true
    })
    store.close()
  })

  it('says the server cannot be reached when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const store = await storeAt(`http://127.0.0.1:${port}`, { maxAttempts: 2 })
    await assert.rejects(store.has(sha(Buffer.from('z'))), /could not be reached to check the bucket: ECONNREFUSED/)
    store.close()
  })
})

describe('QUIVER_ARTIFACTS', () => {
  it('selects S3 for s3:// URLs with QUIVER_S3_ENDPOINT, and a folder otherwise', async () => {
    const home = await tempDir()
    const s3 = openArtifactStore({ home, env: { QUIVER_ARTIFACTS: 's3://models/team/a/', QUIVER_S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' } })
    assert.ok(s3 instanceof S3ArtifactStore)
    assert.deepEqual(s3.location, { bucket: 'models', prefix: 'team/a', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' })
    assert.equal(s3.cache.root, join(home, 'cache', 'artifacts'))
    const fs = openArtifactStore({ home, env: { QUIVER_ARTIFACTS: join(home, 'shared') } })
    assert.equal((fs as unknown as { root: string }).root, join(home, 'shared'))
  })

  it('refuses malformed locations naming the variable', () => {
    assert.throws(() => parseS3Location('s3://', {}), /QUIVER_ARTIFACTS 's3:\/\/' is not an s3:\/\/bucket\/prefix URL/)
    assert.throws(() => parseS3Location('s3://Bad_Bucket/x', {}), /bucket 'Bad_Bucket' is not a valid S3 bucket name/)
    assert.throws(() => parseS3Location('s3://ok-bucket', { QUIVER_S3_ENDPOINT: 'localhost:9000' }), /QUIVER_S3_ENDPOINT 'localhost:9000' is not an http\(s\) URL/)
  })
})

after(async () => { await shared?.close() })
