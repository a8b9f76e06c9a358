/**
 * ONNX external data as an attack: a model in workspace A whose initializer names another
 * workspace's blob as its external data file. Every such upload is refused and the victim's bytes
 * never come back; external data inside a model's own folder still loads.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import * as arrow from 'apache-arrow'
import type { CreatedToken } from '../../src/api/auth-api.js'
import type { AuthApi } from '../../src/api/auth-api.js'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { IRIS_ONNX, json, openHarness, uploadForm, type Harness } from '../server/harness.js'
import { context, version } from '../runtimes/onnx-helpers.js'

const BUILD = join(import.meta.dirname, 'build_external_onnx.py')
const PYTHONS = ['/usr/bin/python3', 'python3']

/** An interpreter with the onnx package, or null after skipping (a failure when CI is set). */
function pythonWithOnnx(t: TestContext): string | null {
  for (const py of PYTHONS) if (spawnSync(py, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0) return py
  const reason = 'no python3 with the onnx package (python3-onnx) to build the attack models'
  if (process.env.CI) throw new Error(reason)
  console.log(`# skip: ${reason}`)
  t.skip(reason)
  return null
}

function buildAttack(py: string, out: string, location: string, length: number, shardPrefix = ''): void {
  const r = spawnSync(py, [BUILD, out, location, String(length), shardPrefix], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`building ${out} failed: ${r.stderr}`)
}

describe('ONNX external data', () => {
  let h: Harness
  let auth: AuthApi
  let tokenA: CreatedToken
  let tmp: string
  let victim: Buffer
  let victimSha: string
  before(async () => {
    h = await openHarness((api) => {
      auth = api.auth
      return { auth: (t) => auth.verifyToken(t), tokens: auth }
    })
    tokenA = await auth.createToken({ workspace: 'team-a', role: 'editor' })
    victim = await readFile(IRIS_ONNX)
    victimSha = createHash('sha256').update(victim).digest('hex')
    await h.api.uploadModel({ name: 'beta-secret-model', workspace: 'team-b', source: { path: IRIS_ONNX }, framework: 'onnx' })
    tmp = await makeTemp()
  })
  after(async () => {
    await h.close()
    await removeTemp(tmp)
  })

  const victimBlob = () => join(h.home, 'artifacts', 'blobs', victimSha.slice(0, 2), victimSha)

  it('refuses an initializer whose external data names another blob: same shard, ../ shard, absolute', async (t) => {
    const py = pythonWithOnnx(t)
    if (!py) return
    const shard = victimSha.slice(0, 2)
    const cases = [
      { label: 'same shard', location: victimSha, prefix: shard },
      { label: 'sibling shard', location: `../${shard}/${victimSha}`, prefix: '' },
      { label: 'absolute', location: victimBlob(), prefix: '' },
      { label: 'up to blobs', location: `../../blobs/${shard}/${victimSha}`, prefix: '' },
    ]
    const blobsBefore = await h.blobCount()
    // The victim's bytes as the attack would return them: float32 values, as JSON prints them.
    const leaked = Array.from(new Float32Array(victim.buffer.slice(victim.byteOffset, victim.byteOffset + 64))).map(String)
    for (const [i, c] of cases.entries()) {
      const file = join(tmp, `attack-${i}.onnx`)
      buildAttack(py, file, c.location, victim.length, c.prefix)
      if (c.prefix) assert.ok(createHash('sha256').update(await readFile(file)).digest('hex').startsWith(c.prefix), 'the attack lands in the victim shard')
      const res = await h.app.request('/v1/models', {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenA.token}` },
        body: await uploadForm({ name: `leak-${i}`, framework: 'onnx' }, { path: file, name: 'leak.onnx' }),
      })
      const text = await res.text()
      assert.equal(res.status, 400, `${c.label}: ${text}`)
      const body = JSON.parse(text)
      assert.equal(body.error.code, 'invalid_input')
      assert.match(body.error.message, /initializer 'W' keeps its data in an external file/, c.label)
      assert.ok(body.error.message.includes(JSON.stringify(c.location)), `${c.label}: names the location: ${body.error.message}`)
      assert.match(body.error.message, /a single \.onnx file has no folder of its own/)
      for (const value of leaked.slice(0, 4)) assert.ok(!text.includes(value), `${c.label}: victim value ${value} in the answer`)
    }
    const listed = await h.app.request('/v1/models', { headers: { authorization: `Bearer ${tokenA.token}` } })
    assert.deepEqual(await json(listed), [], 'no refused version is kept')
    assert.equal(await h.blobCount(), blobsBefore, 'the refused uploads left no blobs')
    assert.deepEqual(await readFile(victimBlob()), victim, 'the victim blob is untouched')
  })

  it('exits 2 from quiver upload naming the initializer and location', async (t) => {
    const py = pythonWithOnnx(t)
    if (!py) return
    const home = join(tmp, 'cli-home')
    const file = join(tmp, 'cli-attack.onnx')
    buildAttack(py, file, '/etc/passwd', 64)
    const r = await runCli(['upload', 'leak', file, '--framework', 'onnx'], { home })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /initializer 'W' keeps its data in an external file \(location "\/etc\/passwd"\)/)
    assert.doesNotMatch(r.stdout + r.stderr, /root:/)
  })

  describe('inside a model folder (zipped upload)', () => {
    let folder: string
    let outside: string
    before(async () => {
      folder = join(tmp, 'folder')
      outside = join(tmp, 'outside.bin')
      await mkdir(join(folder, 'weights'), { recursive: true })
      await writeFile(join(folder, 'weights', 'w.bin'), Buffer.from(new Float32Array([1.5, -2, 3, 4]).buffer))
      await writeFile(outside, Buffer.from(new Float32Array([9, 9, 9, 9]).buffer))
      await symlink(outside, join(folder, 'weights', 'link.bin'))
    })

    const load = (py: string, location: string) => {
      buildAttack(py, join(folder, 'model.onnx'), location, 16)
      return new OnnxRuntime({ threadMinElements: Infinity }).load(version('model.zip', { config: { archive: true } }), context('', folder))
    }

    it('loads external data kept in a file of the folder', async (t) => {
      const py = pythonWithOnnx(t)
      if (!py) return
      const session = await load(py, 'weights/w.bin')
      try {
        const x = arrow.vectorFromArray([[0, 0, 0, 0]], new arrow.FixedSizeList(4, new arrow.Field('item', new arrow.Float32(), true)))
        const out = await session.infer(new arrow.Table({ x }))
        assert.deepEqual([...(out.getChild('y')!.get(0) as arrow.Vector)], [1.5, -2, 3, 4])
      } finally {
        await session.close()
      }
    })

    it('refuses locations that leave the folder: .., absolute, a link out, missing', async (t) => {
      const py = pythonWithOnnx(t)
      if (!py) return
      const cases: [string, RegExp][] = [
        ['../outside.bin', /climbs out with '\.\.'/],
        ['weights/../../outside.bin', /climbs out with '\.\.'/],
        [outside, /an absolute path/],
        ['weights/link.bin', /resolves \(through a link\) outside the model folder/],
        ['weights/none.bin', /does not exist in the model folder/],
        ['weights', /not a regular file/],
      ]
      for (const [location, why] of cases) {
        await assert.rejects(load(py, location), (err: Error) => {
          assert.match(err.message, /initializer 'W' keeps its data in an external file/, location)
          assert.match(err.message, why, location)
          return true
        })
      }
    })
  })
})
