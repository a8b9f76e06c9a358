/**
 * The S3 store's local cache under a size bound (QUIVER_CACHE_MAX_BYTES): least recently used
 * blobs go first, never one that is pinned or open, and a blob evicted is downloaded again when
 * next used. Against a real S3-protocol server (s3rver).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { open, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openArtifactStore } from '../../src/artifacts/open-artifacts.js'
import { cacheBoundFromEnv } from '../../src/artifacts/s3/cache-bound.js'
import { S3ArtifactStore } from '../../src/artifacts/s3/s3-artifact-store.js'
import { S3_CREDENTIALS, startS3, type TestS3 } from './s3-server.js'

const BUCKET = 'quiver-cache-bound'
const KIB = 1024

describe('the S3 store\'s cache bound', () => {
  let s3: TestS3
  let dir: string
  before(async () => {
    s3 = await startS3([BUCKET])
    dir = await mkdtemp(join(tmpdir(), 'quiver-cache-bound-'))
  })
  after(async () => {
    await s3?.close()
    await rm(dir, { recursive: true, force: true })
  })

  function store(maxBytes: number): S3ArtifactStore {
    return new S3ArtifactStore(
      { bucket: BUCKET, prefix: `p-${randomBytes(4).toString('hex')}`, endpoint: s3.endpoint, region: 'us-east-1' },
      { cacheDir: join(dir, randomBytes(4).toString('hex')), credentials: S3_CREDENTIALS, cacheMaxBytes: maxBytes },
    )
  }
  const blob = (bytes: number) => (async function* () { yield randomBytes(bytes) })()
  const cached = async (s: S3ArtifactStore) => (await s.cache.listBlobs()).sort()

  it('evicts the least recently used blobs once the cache passes its bound, and downloads them again on use', async () => {
    const s = store(4 * KIB)
    const a = (await s.put(blob(1500))).sha256
    const b = (await s.put(blob(1500))).sha256
    assert.deepEqual(await cached(s), [a, b].sort())
    const c = (await s.put(blob(1500))).sha256
    assert.deepEqual(await cached(s), [b, c].sort(), 'a, used longest ago, went first')
    assert.ok(await s.has(a), 'eviction is of the local copy only')

    await s.localPath(b) // b is now the most recently used
    await s.localPath(a) // downloaded again; c is the oldest use
    assert.deepEqual(await cached(s), [a, b].sort())
    const total = (await s.bound!.list()).reduce((n, x) => n + x.bytes, 0)
    assert.ok(total <= 4 * KIB, `${total} bytes cached`)
  })

  it('never evicts a pinned blob or one a process holds open', async () => {
    const s = store(3 * KIB)
    const a = (await s.put(blob(1200))).sha256
    const b = (await s.put(blob(1200))).sha256
    const unpin = s.pin(a)
    const held = await open(await s.localPath(b), 'r')
    try {
      // c takes the cache over its bound, but a is pinned and b is open: nothing can go.
      const c = (await s.put(blob(1200))).sha256
      assert.deepEqual(await cached(s), [a, b, c].sort())
      // Released and closed: the next use brings the cache back within its bound.
      unpin()
      await held.close()
      await s.localPath(c)
      assert.deepEqual(await cached(s), [b, c].sort(), 'a is the least recently used')
    } finally {
      unpin()
      await held.close().catch(() => {})
    }
  })

  it('reads its bound from QUIVER_CACHE_MAX_BYTES, refusing what is not a size', () => {
    assert.equal(cacheBoundFromEnv({}), undefined)
    assert.equal(cacheBoundFromEnv({ QUIVER_CACHE_MAX_BYTES: '536870912' }), 536870912)
    assert.equal(cacheBoundFromEnv({ QUIVER_CACHE_MAX_BYTES: '20Gi' }), 20 * 2 ** 30)
    assert.equal(cacheBoundFromEnv({ QUIVER_CACHE_MAX_BYTES: '1.5k' }), 1536)
    assert.throws(() => cacheBoundFromEnv({ QUIVER_CACHE_MAX_BYTES: 'lots' }), /QUIVER_CACHE_MAX_BYTES must be a size such as 20Gi or 536870912, got 'lots'/)
    const s = openArtifactStore({ home: dir, artifacts: `s3://${BUCKET}/x`, env: { QUIVER_CACHE_MAX_BYTES: '64Mi', QUIVER_S3_ENDPOINT: s3.endpoint } })
    assert.ok(s instanceof S3ArtifactStore)
    assert.equal(s.bound?.maxBytes, 64 * 2 ** 20)
  })
})
