import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, describe, it } from 'node:test'
import { FsArtifactStore } from '../../src/artifacts/fs/fs-artifact-store.js'
import { openArtifactStore } from '../../src/artifacts/open-artifacts.js'
import { artifactStoreSuite } from './artifact-store.suite.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))) })

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'quiver-fs-artifacts-'))
  dirs.push(d)
  return d
}

async function list(dir: string): Promise<string[]> {
  return existsSync(dir) ? readdir(dir) : []
}

artifactStoreSuite('fs', async () => {
  const home = await tempDir()
  const scratch = join(home, 'scratch')
  await mkdir(scratch)
  const store = new FsArtifactStore(join(home, 'artifacts'))
  return {
    store,
    scratch,
    corrupt: (sha) => writeFile(store.blobPath(sha), 'not the original bytes'),
    async leftovers() {
      const extracted = (await list(join(store.root, 'extracted'))).filter((f) => f.startsWith('.tmp'))
      return [...(await list(join(store.root, 'tmp'))), ...extracted]
    },
    async storedBlobs() {
      const out: string[] = []
      for (const aa of await list(join(store.root, 'blobs'))) out.push(...(await list(join(store.root, 'blobs', aa))))
      return out
    },
    close: async () => {},
  }
})

describe('FsArtifactStore layout', () => {
  it('keeps blobs at <home>/artifacts/blobs/<aa>/<sha256> and extractions beside them', async () => {
    const home = await tempDir()
    const store = openArtifactStore({ home })
    const bytes = Buffer.from('layout check')
    const digest = createHash('sha256').update(bytes).digest('hex')
    await store.put(Readable.from([bytes]))
    assert.equal(await store.localPath(digest), join(home, 'artifacts', 'blobs', digest.slice(0, 2), digest))
    assert.deepEqual(await readdir(join(home, 'artifacts', 'blobs', digest.slice(0, 2))), [digest])
  })

  it('shares blobs between stores on one home', async () => {
    const home = await tempDir()
    const one = openArtifactStore({ home })
    const two = openArtifactStore({ home })
    const { sha256 } = await one.put((async function* () { yield Buffer.from('shared') })())
    assert.equal(await two.has(sha256), true)
    assert.equal((await two.put((async function* () { yield Buffer.from('shared') })())).sha256, sha256)
  })
})

describe('FsArtifactStore clean-up', () => {
  it('removes temporary files of writers that died, and keeps those of live ones', async () => {
    const home = await tempDir()
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    const root = join(home, 'artifacts')
    await mkdir(join(root, 'tmp'), { recursive: true })
    await mkdir(join(root, 'extracted', `.tmp-${dead}-00ff`), { recursive: true })
    await writeFile(join(root, 'extracted', `.tmp-${dead}-00ff`, 'half.py'), 'x')
    await writeFile(join(root, 'tmp', `put-${dead}-abcd`), 'half an upload')
    await writeFile(join(root, 'tmp', `put-${process.pid}-beef`), 'an upload in flight')
    const store = new FsArtifactStore(root)
    await store.put(Readable.from([Buffer.from('trigger')]))
    assert.deepEqual(await readdir(join(root, 'tmp')), [`put-${process.pid}-beef`])
    assert.deepEqual(await readdir(join(root, 'extracted')), [])
  })
})
