/**
 * `quiver infer` on an embedded home runs a reference from its resolved snapshot, without opening
 * the database, only while nothing has opened the home since: a moved tag, a new latest version,
 * or a home left open (a holder that died) send it back to the database.
 */
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { HomeLock } from '../../src/store/pglite/home-lock.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'

describe('quiver infer from a resolved snapshot', () => {
  let home: string
  const cli = (...args: string[]) => runCli(args, { home, env: { QUIVER_LOCK_WAIT_MS: '0' } })
  const ok = async (...args: string[]) => {
    const r = await cli(...args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }
  /** The model's answer for one row: which version ran. */
  const answer = async (ref: string) => (JSON.parse((await ok('infer', ref, '--input', join(home, 'in.json'))).stdout) as { 'out.y': number }[])[0]!['out.y']
  /** With the home locked by this process, the CLI can only answer from a snapshot. */
  const whileLocked = async <T>(fn: () => Promise<T>): Promise<T> => {
    const lock = await HomeLock.acquire(home, { waitMs: 0 })
    try {
      return await fn()
    } finally {
      await lock.release()
    }
  }

  before(async () => {
    home = await makeTemp()
    for (const n of [1, 2, 3]) await writeFile(join(home, `v${n}.mjs`), `export function load() { return { infer: (t) => ({ y: new Float64Array(t.numRows).fill(${n}) }) } }\n`)
    await writeFile(join(home, 'in.json'), JSON.stringify([{ x: 0.5 }]))
    await writeFile(join(home, 'in-schema.json'), JSON.stringify([{ name: 'x', type: 'float64', nullable: false }]))
    await writeFile(join(home, 'out-schema.json'), JSON.stringify([{ name: 'y', type: 'float64', nullable: false }]))
    const schemas = ['--framework', 'js', '--input-schema', join(home, 'in-schema.json'), '--output-schema', join(home, 'out-schema.json')]
    await ok('upload', 'm', join(home, 'v1.mjs'), ...schemas, '--tag', 'prod')
    await ok('upload', 'm', join(home, 'v2.mjs'), ...schemas)
  })
  after(() => removeTemp(home))

  it('answers from the snapshot while the home is untouched, even when another process holds it', async () => {
    assert.equal(await answer('m@prod'), 1)
    assert.equal((await readdir(join(home, 'resolved'))).filter((f) => f.endsWith('.json')).length, 1)
    assert.equal(await whileLocked(() => answer('m@prod')), 1)
    // A reference never resolved has no snapshot: it needs the database, which is held.
    const r = await whileLocked(() => cli('infer', 'm', '--input', join(home, 'in.json')))
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /home/i)
  })

  it('follows a tag moved by another command', async () => {
    assert.equal(await answer('m@prod'), 1)
    await ok('tag', 'm#2', 'prod')
    assert.equal(await answer('m@prod'), 2)
    assert.equal(await whileLocked(() => answer('m@prod')), 2)
  })

  it('follows latest to a newer version', async () => {
    assert.equal(await answer('m'), 2)
    await ok('upload', 'm', join(home, 'v3.mjs'), '--framework', 'js', '--input-schema', join(home, 'in-schema.json'), '--output-schema', join(home, 'out-schema.json'))
    assert.equal(await answer('m'), 3)
  })

  it('does not trust a snapshot once a process opened the home and never closed it', async () => {
    assert.equal(await answer('m@prod'), 2)
    // What a holder that died leaves behind: the epoch it wrote on opening.
    await writeFile(join(home, 'store-epoch'), 'open:0123456789abcdef01234567')
    const r = await whileLocked(() => cli('infer', 'm@prod', '--input', join(home, 'in.json')))
    assert.notEqual(r.code, 0, 'answered from a snapshot although the home may have changed')
    assert.equal(await answer('m@prod'), 2)
  })
})
