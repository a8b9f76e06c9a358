import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js'
import { buildZip } from './zip-writer.js'

/** What a backend gives the suite besides the store itself. */
export interface ArtifactStoreHarness {
  store: ArtifactStore
  /** Changes the stored bytes of a blob behind the store's back. */
  corrupt(sha256: string): Promise<void>
  /** Partial uploads or extractions still lying around (must be none between operations). */
  leftovers(): Promise<string[]>
  /** Every blob digest stored. */
  storedBlobs(): Promise<string[]>
  /** A scratch folder for the test's own files. */
  scratch: string
  close(): Promise<void>
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
/** Bytes no other test in this process uses, so per-process caches never carry over. */
const unique = (n = 1000) => Buffer.concat([randomBytes(16), Buffer.alloc(n, 1)])

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c)
  return Buffer.concat(chunks)
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

const code = (expected: string) => (err: Error & { code?: string }) => {
  assert.equal(err.code, expected, String(err))
  return true
}

/** The behaviour every `ArtifactStore` must have. */
export function artifactStoreSuite(name: string, open: () => Promise<ArtifactStoreHarness>): void {
  describe(`ArtifactStore (${name})`, () => {
    let h: ArtifactStoreHarness
    let store: ArtifactStore
    before(async () => { h = await open(); store = h.store })
    after(async () => { await h?.close() })

    it('stores bytes from an async iterable under their SHA-256 and gives them back', async () => {
      const bytes = unique(300_000)
      const ref = await store.put(chunked(bytes, 65_536))
      assert.deepEqual(ref, { sha256: sha(bytes), size: bytes.length })
      assert.equal(await store.has(ref.sha256), true)
      assert.deepEqual(await readAll(await store.open(ref.sha256)), bytes)
      assert.deepEqual(await readFile(await store.localPath(ref.sha256)), bytes)
      assert.deepEqual(await readFile(await store.localPath(ref.sha256.toUpperCase())), bytes)
      assert.deepEqual(await h.leftovers(), [])
    })

    it('stores from Node streams, text chunks and files, and empty bodies', async () => {
      const bytes = unique()
      assert.equal((await store.put(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]))).sha256, sha(bytes))
      assert.equal((await store.put(Readable.from(['héllo ', 'wörld']))).sha256, sha('héllo wörld'))
      const file = join(h.scratch, `file-${randomBytes(4).toString('hex')}`)
      const fileBytes = unique(5000)
      await writeFile(file, fileBytes)
      assert.deepEqual(await store.putFile(file), { sha256: sha(fileBytes), size: fileBytes.length })
      assert.deepEqual(await store.put(chunked(Buffer.alloc(0), 1)), { sha256: sha(''), size: 0 })
    })

    it('stores identical bytes once, also when they arrive at the same time', async () => {
      const bytes = unique(100_000)
      const refs = await Promise.all(Array.from({ length: 5 }, () => store.put(chunked(bytes, 7_000))))
      assert.ok(refs.every((r) => r.sha256 === sha(bytes)))
      assert.deepEqual((await h.storedBlobs()).filter((s) => s === sha(bytes)), [sha(bytes)])
      assert.deepEqual(await h.leftovers(), [])
    })

    it('leaves nothing behind when the source fails midway', async () => {
      const bytes = unique(50_000)
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, 20_000)
        throw new Error('connection reset by peer')
      }
      await assert.rejects(store.put(failing()), /connection reset by peer/)
      const stream = new Readable({ read() {} })
      stream.push(bytes.subarray(0, 1000))
      setImmediate(() => stream.destroy(new Error('client went away')))
      await assert.rejects(store.put(stream), /client went away/)
      assert.deepEqual(await h.leftovers(), [])
      assert.equal(await store.has(sha(bytes.subarray(0, 20_000))), false)
      assert.equal(await store.has(sha(bytes.subarray(0, 1000))), false)
    })

    it('refuses bodies over maxBytes as TooLarge and keeps nothing', async () => {
      const bytes = unique(10_000)
      await assert.rejects(store.put(chunked(bytes, 1000), { maxBytes: bytes.length - 1 }), code('too_large'))
      assert.deepEqual(await h.leftovers(), [])
      assert.equal(await store.has(sha(bytes)), false)
      assert.equal((await store.put(chunked(bytes, 1000), { maxBytes: bytes.length })).size, bytes.length)
    })

    it('checks expectedSha256 and keeps nothing on a mismatch', async () => {
      const bytes = unique()
      await assert.rejects(store.put(chunked(bytes, 100), { expectedSha256: sha('something else') }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_input')
        assert.match(err.message, new RegExp(`hash to ${sha(bytes)}, expected ${sha('something else')}`))
        return true
      })
      assert.equal(await store.has(sha(bytes)), false)
      await assert.rejects(store.put(chunked(bytes, 100), { expectedSha256: 'abc' }), code('invalid_input'))
      assert.deepEqual(await h.leftovers(), [])
      assert.equal((await store.put(chunked(bytes, 100), { expectedSha256: sha(bytes).toUpperCase() })).sha256, sha(bytes))
    })

    it('answers unknown digests with NotFound and malformed ones with InvalidInput', async () => {
      const absent = sha(unique())
      assert.equal(await store.has(absent), false)
      await assert.rejects(store.open(absent), code('not_found'))
      await assert.rejects(store.localPath(absent), code('not_found'))
      await assert.rejects(store.extractedPath(absent), code('not_found'))
      for (const bad of ['../../etc/passwd', '', 'zz'.repeat(32)]) {
        await assert.rejects(store.has(bad), code('invalid_input'))
        await assert.rejects(store.open(bad), code('invalid_input'))
      }
    })

    it('detects a corrupted blob when it is first used, naming its digest', async () => {
      const bytes = unique()
      const { sha256 } = await store.put(chunked(bytes, 100))
      await h.corrupt(sha256)
      await assert.rejects(store.localPath(sha256), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'runtime_failure')
        assert.match(err.message, new RegExp(`blob ${sha256} is corrupt`))
        return true
      })
      await assert.rejects(store.localPath(sha256), code('runtime_failure'))
    })

    it('deletes blobs, idempotently, and takes them again afterwards', async () => {
      const bytes = unique()
      const { sha256 } = await store.put(chunked(bytes, 100))
      await store.localPath(sha256)
      await store.delete(sha256)
      assert.equal(await store.has(sha256), false)
      await assert.rejects(store.open(sha256), code('not_found'))
      await assert.rejects(store.localPath(sha256), code('not_found'))
      await store.delete(sha256)
      await store.put(chunked(bytes, 100))
      assert.deepEqual(await readFile(await store.localPath(sha256)), bytes)
    })

    it('extracts a zip blob once to a folder and removes it with the blob', async () => {
      const marker = randomBytes(8).toString('hex')
      const zip = buildZip([{ name: 'step/' }, { name: 'step/main.py', data: `# ${marker}\n` }, { name: 'weights.bin', data: unique() }])
      const { sha256 } = await store.put(chunked(zip, 1000))
      const [a, b] = await Promise.all([store.extractedPath(sha256), store.extractedPath(sha256)])
      assert.equal(a, b)
      assert.equal(await store.extractedPath(sha256), a)
      assert.equal(await readFile(join(a!, 'step/main.py'), 'utf8'), `# ${marker}\n`)
      assert.deepEqual((await readdir(a!)).sort(), ['step', 'weights.bin'])
      assert.deepEqual(await h.leftovers(), [])
      await store.delete(sha256)
      await assert.rejects(readdir(a!), code('ENOENT'))
    })

    it('refuses to extract a hostile zip and leaves no folder', async () => {
      const zip = buildZip([{ name: 'fine.txt', data: unique() }, { name: '../escape.txt', data: 'x' }])
      const { sha256 } = await store.put(chunked(zip, 1000))
      await assert.rejects(store.extractedPath(sha256), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_input')
        assert.match(err.message, /'\.\.\/escape\.txt'/)
        return true
      })
      assert.deepEqual(await h.leftovers(), [])
      await assert.rejects(store.extractedPath(sha256), code('invalid_input'))
    })
  })
}
