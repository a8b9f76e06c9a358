import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { safeUnzip, type UnzipLimits } from '../../src/artifacts/safe-unzip.js'
import { buildZip, S_IFLNK, type ZipEntrySpec } from './zip-writer.js'

let work: string
let n = 0
before(async () => { work = await mkdtemp(join(tmpdir(), 'quiver-unzip-')) })
after(async () => { await rm(work, { recursive: true, force: true }) })

/** Writes the archive, extracts it to a fresh `<case>/out`, returns both paths. */
async function unzip(entries: ZipEntrySpec[], limits?: UnzipLimits) {
  const dir = join(work, `case-${++n}`)
  await mkdir(dir)
  const zipPath = join(dir, 'a.zip')
  await writeFile(zipPath, buildZip(entries))
  const dest = join(dir, 'out')
  return { dir, dest, result: safeUnzip(zipPath, dest, limits) }
}

/** The extraction is refused as invalid_input naming `entry`, and nothing is left behind. */
async function assertRefused(entries: ZipEntrySpec[], entry: string, limits?: UnzipLimits, why?: RegExp): Promise<void> {
  const { dir, dest, result } = await unzip(entries, limits)
  await assert.rejects(result, (err: Error & { code?: string }) => {
    assert.equal(err.code, 'invalid_input', String(err))
    assert.ok(err.message.includes(`'${entry}'`), `message names the entry: ${err.message}`)
    if (why) assert.match(err.message, why)
    return true
  })
  assert.equal(existsSync(dest), false, 'destination removed')
  assert.deepEqual(await readdir(dir), ['a.zip'], 'nothing written beside the archive')
}

describe('safeUnzip', () => {
  it('extracts files and folders with their bytes and executable bits', async () => {
    const big = Buffer.alloc(200_000, 7)
    const { dest, result } = await unzip([
      { name: 'pkg/' },
      { name: 'pkg/step.py', data: 'def predict(x):\n    return x\n' },
      { name: 'pkg/run.sh', data: '#!/bin/sh\n', mode: 0o100755 },
      { name: 'deep/er/weights.bin', data: big },
      { name: 'stored.txt', data: 'plain', store: true },
      { name: 'empty.txt', data: '' },
      { name: 'ünïcødé.txt', data: 'ok' },
      { name: 'win\\style.txt', data: 'backslashes are separators' },
    ])
    assert.deepEqual(await result, { entries: 8, bytes: 29 + 10 + big.length + 5 + 0 + 2 + 26 })
    assert.equal(await readFile(join(dest, 'pkg/step.py'), 'utf8'), 'def predict(x):\n    return x\n')
    assert.deepEqual(await readFile(join(dest, 'deep/er/weights.bin')), big)
    assert.equal(await readFile(join(dest, 'stored.txt'), 'utf8'), 'plain')
    assert.equal(await readFile(join(dest, 'empty.txt'), 'utf8'), '')
    assert.equal(await readFile(join(dest, 'ünïcødé.txt'), 'utf8'), 'ok')
    assert.equal(await readFile(join(dest, 'win/style.txt'), 'utf8'), 'backslashes are separators')
    assert.equal((await stat(join(dest, 'pkg/run.sh'))).mode & 0o111, 0o111)
    assert.equal((await stat(join(dest, 'pkg/step.py'))).mode & 0o111, 0)
  })

  it("refuses entries that climb out with '..'", async () => {
    await assertRefused([{ name: 'ok.txt', data: 'fine' }, { name: '../evil', data: 'x' }], '../evil', undefined, /'\.\.'/)
    await assertRefused([{ name: 'a/../../evil', data: 'x' }], 'a/../../evil')
    await assertRefused([{ name: '..\\evil', data: 'x' }], '../evil')
    assert.equal(existsSync(join(work, 'evil')), false)
  })

  it('refuses absolute paths and drive letters', async () => {
    await assertRefused([{ name: '/abs', data: 'x' }], '/abs', undefined, /absolute/)
    await assertRefused([{ name: 'C:/win.txt', data: 'x' }], 'C:/win.txt', undefined, /drive letter/)
    await assertRefused([{ name: 'c:relative.txt', data: 'x' }], 'c:relative.txt', undefined, /drive letter/)
  })

  it('refuses symbolic links', async () => {
    await assertRefused([{ name: 'good.txt', data: 'g' }, { name: 'link', data: '/etc/passwd', mode: S_IFLNK | 0o777 }],
      'link', undefined, /symbolic link/)
  })

  it('refuses more entries than the limit', async () => {
    const four = ['a', 'b', 'c', 'd'].map((name) => ({ name, data: name }))
    const { dest, result } = await unzip(four, { maxEntries: 3 })
    await assert.rejects(result, (err: Error & { code?: string }) => {
      assert.equal(err.code, 'invalid_input')
      assert.match(err.message, /4 entries, more than the limit of 3/)
      return true
    })
    assert.equal(existsSync(dest), false)
    const { result: ok } = await unzip(four, { maxEntries: 4 })
    assert.equal((await ok).entries, 4)
  })

  it('refuses a bomb that declares its size honestly', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024)
    await assertRefused([{ name: 'small.txt', data: 'hi' }, { name: 'bomb.bin', data: zeros }], 'bomb.bin',
      { maxBytes: 1024 * 1024 }, /limit of 1048576 expanded bytes/)
  })

  it('refuses a bomb whose headers lie about its size, counting the bytes it really writes', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024)
    await assertRefused([{ name: 'liar.bin', data: zeros, declaredSize: 100 }], 'liar.bin', { maxBytes: 1024 * 1024 })
    await assertRefused([{ name: 'liar.bin', data: zeros, declaredSize: 100 }], 'liar.bin')
  })

  it('refuses an entry that appears twice', async () => {
    await assertRefused([{ name: 'same.txt', data: 'one' }, { name: 'same.txt', data: 'two' }], 'same.txt', undefined, /twice/)
  })

  it('refuses files that are not zip archives and destinations that exist', async () => {
    const notZip = join(work, 'not.zip')
    await writeFile(notZip, 'this is not a zip archive at all')
    await assert.rejects(safeUnzip(notZip, join(work, 'never')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'invalid_input')
      assert.match(err.message, /not a readable zip archive/)
      return true
    })
    assert.equal(existsSync(join(work, 'never')), false)
    const { dest, result } = await unzip([{ name: 'a', data: 'a' }])
    await result
    const again = join(work, 'again.zip')
    await writeFile(again, buildZip([{ name: 'b', data: 'b' }]))
    await assert.rejects(safeUnzip(again, dest), (err: Error & { code?: string }) => err.code === 'conflict')
    assert.deepEqual(await readdir(dest), ['a'])
  })
})
