import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openMetadataStore } from '../../src/store/open-store.js'
import { LOCK_FILE_NAME, lockWaitFromEnv } from '../../src/store/pglite/home-lock.js'
import { Child } from './child-process.js'
import { metadataStoreSuite } from './metadata-store.suite.js'
import { newVersion, uniqueName } from './version-fixtures.js'

const homes: string[] = []
async function freshHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'quiver-pglite-'))
  homes.push(home)
  return home
}
after(async () => { await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true }))) })

metadataStoreSuite('pglite', async () => openMetadataStore({ home: await freshHome() }))

describe('PGlite home', () => {
  let home: string
  before(async () => { home = await freshHome() })

  it('keeps its data across close and reopen and releases its lock on close', async () => {
    const name = uniqueName()
    const store = await openMetadataStore({ home })
    assert.ok(existsSync(join(home, LOCK_FILE_NAME)))
    const v = await store.createVersion(newVersion({ name }))
    await store.close()
    await store.close()
    assert.equal(existsSync(join(home, LOCK_FILE_NAME)), false)
    const again = await openMetadataStore({ home })
    try {
      assert.deepEqual(await again.getVersionById(v.id), v)
    } finally {
      await again.close()
    }
  })

  it('refuses a second process with Conflict naming the holder, then lets it in once closed', async (t) => {
    const holder = new Child('./children/hold-home.ts', [home])
    t.after(() => holder.kill())
    assert.equal(await holder.line(), 'opening')
    assert.equal(await holder.line(), `ready ${holder.pid}`)
    await assert.rejects(openMetadataStore({ home, lockWaitMs: 0 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'conflict')
      assert.equal(err.message,
        `Quiver home ${home} is in use by process ${holder.pid}; stop it or talk to it with --server URL`)
      return true
    })
    // A waiting opener gets in as soon as the holder lets go.
    const waiting = openMetadataStore({ home, lockWaitMs: 60_000 })
    holder.send('close')
    assert.equal(await holder.line(), 'closed')
    const store = await waiting
    await store.close()
    assert.equal(await holder.exited, 0)
  })

  it('serialises against a process that holds the home, waiting for it', async (t) => {
    const store = await openMetadataStore({ home })
    const waiter = new Child('./children/hold-home.ts', [home, '60000'])
    t.after(() => waiter.kill())
    assert.equal(await waiter.line(), 'opening')
    // The child is blocked on the lock: it can only print `ready` after we close.
    const ready = waiter.line()
    await store.close()
    assert.equal(await ready, `ready ${waiter.pid}`)
    waiter.send('close')
    assert.equal(await waiter.line(), 'closed')
  })

  it('releases the lock when the holding process exits without closing', async (t) => {
    const holder = new Child('./children/hold-home.ts', [home])
    t.after(() => holder.kill())
    await holder.line()
    await holder.line()
    holder.send('exit')
    assert.equal(await holder.exited, 0)
    assert.equal(existsSync(join(home, LOCK_FILE_NAME)), false)
    const store = await openMetadataStore({ home, lockWaitMs: 0 })
    await store.close()
  })

  it('takes over the lock of a process that died', async (t) => {
    const holder = new Child('./children/hold-home.ts', [home])
    t.after(() => holder.kill())
    await holder.line()
    await holder.line()
    holder.kill()
    await holder.exited
    const left = JSON.parse(await readFile(join(home, LOCK_FILE_NAME), 'utf8')) as { pid: number }
    assert.equal(left.pid, holder.pid)
    const store = await openMetadataStore({ home, lockWaitMs: 0 })
    const mine = JSON.parse(await readFile(join(home, LOCK_FILE_NAME), 'utf8')) as { pid: number }
    assert.equal(mine.pid, process.pid)
    assert.ok((await store.listWorkspaces()).includes('default'))
    await store.close()
  })

  it('treats a fresh lock file it cannot read as held by an unknown process', async () => {
    await writeFile(join(home, LOCK_FILE_NAME), '')
    await assert.rejects(openMetadataStore({ home, lockWaitMs: 0 }), /in use by process unknown/)
    await rm(join(home, LOCK_FILE_NAME))
  })

  it('reads the lock wait from QUIVER_LOCK_WAIT_MS and refuses nonsense', () => {
    assert.equal(lockWaitFromEnv({}), 10_000)
    assert.equal(lockWaitFromEnv({ QUIVER_LOCK_WAIT_MS: '250' }), 250)
    assert.throws(() => lockWaitFromEnv({ QUIVER_LOCK_WAIT_MS: 'soon' }), /QUIVER_LOCK_WAIT_MS.*'soon'/)
  })
})
