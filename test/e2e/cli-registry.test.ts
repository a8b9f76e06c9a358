/**
 * The registry through the real `bin/quiver`: versions, digests, tags, and every bad input of the
 * core refused with exit code 2 and one sentence, leaving registry and artifact store untouched.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { buildZip, S_IFLNK } from '../artifacts/zip-writer.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'

const ONNX = join(MODEL_FIXTURES, 'onnx-mlp-iris/model.onnx')
const UNSAFE_PICKLE = join(MODEL_FIXTURES, '../python/unsafe/os-system-p0.pkl')

describe('registry through bin/quiver', () => {
  let home: string
  const q = (...args: string[]) => runCli(args, { home })
  const file = async (name: string, content: string | Buffer) => {
    const p = join(home, name)
    await writeFile(p, content)
    return p
  }
  const blobs = async () => (await readdir(join(home, 'artifacts/blobs'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length
  const versions = async () => JSON.parse((await q('--json', 'versions', 'iris')).stdout).map((v: { seq: number }) => v.seq)

  /** Exit code 2, the error as the last stderr line (progress may precede it), and no blob changed. */
  async function refused(args: string[], pattern: RegExp) {
    const blobsBefore = await blobs()
    const r = await q(...args)
    assert.equal(r.code, 2, `expected exit 2 for ${args.join(' ')}, got ${r.code}: ${r.stderr}`)
    const lines = r.stderr.trim().split('\n')
    assert.match(lines.at(-1)!, pattern)
    assert.doesNotMatch(lines.at(-1)!, /\n|^\s+at /, 'one sentence, no stack trace')
    assert.equal(r.stdout, '')
    assert.equal(await blobs(), blobsBefore, 'artifact store changed')
  }

  /** Runs `body` and checks that the registry reads exactly as before it. */
  async function unchanged(body: () => Promise<void>) {
    const before = (await q('--json', 'models')).stdout
    const seqs = await versions()
    await body()
    assert.equal((await q('--json', 'models')).stdout, before, 'models changed')
    assert.deepEqual(await versions(), seqs, 'versions changed')
  }

  before(async () => {
    home = await makeTemp()
  })
  after(() => removeTemp(home))

  it('uploads one name twice as #1 and #2 with distinct UUIDs and the file digest', async () => {
    const one = await q('--json', 'upload', 'iris', ONNX, '--framework', 'onnx', '--meta', 'owner=ml', '--meta', 'epochs=12')
    assert.equal(one.code, 0, one.stderr)
    const two = await q('--json', 'upload', 'iris', ONNX, '--framework', 'onnx', '--tag', 'production', '--description', 'second')
    assert.equal(two.code, 0, two.stderr)
    const [v1, v2] = [JSON.parse(one.stdout), JSON.parse(two.stdout)]
    assert.deepEqual([v1.seq, v2.seq], [1, 2])
    assert.notEqual(v1.version, v2.version)
    assert.deepEqual(v1.metadata, { owner: 'ml', epochs: 12 })
    const sha256sum = execFileSync('sha256sum', [ONNX], { encoding: 'utf8' }).split(' ')[0]
    assert.equal(v1.sha256, sha256sum)
    assert.equal(v1.size_bytes, (await readFile(ONNX)).length)
    assert.match(one.stderr, /native runtime onnx: ready/)
    assert.deepEqual(v2.tags, ['production'])
    assert.equal(await blobs(), 1, 'identical bytes are stored once')
  })

  it('lists, shows, tags and untags in human and JSON form', async () => {
    const models = await q('models')
    assert.match(models.stdout, /^NAME\s+VERSIONS\s+LATEST/m)
    assert.match(models.stdout, /^iris\s+2\s+#2\s+onnx\s+production/m)
    const tagged = await q('tag', 'iris#1', 'production')
    assert.equal(tagged.code, 0, tagged.stderr)
    const shown = JSON.parse((await q('--json', 'show', 'iris@production')).stdout)
    assert.equal(shown.seq, 1)
    assert.equal((await q('status', 'iris#2')).stdout.trim(), 'iris#2 ready')
    assert.equal((await q('untag', 'iris', 'production')).code, 0)
    await refused(['show', 'iris@production'], /no tag 'production'/)
  })

  it('refuses bad names, frameworks, schemas and references with exit code 2', async () => {
    await unchanged(async () => {
      await refused(['upload', 'My_Model', ONNX, '--framework', 'onnx'], /"My_Model".*lower-case/)
      await refused(['upload', 'a'.repeat(64), ONNX, '--framework', 'onnx'], /64 characters/)
      await refused(['upload', 'iris', ONNX, '--framework', 'onnxx'], /unknown framework 'onnxx'/)
      await refused(['upload', 'iris', ONNX, '--framework', 'onnx', '--input-schema', await file('bad.json', '[{"name": "a",')], /not valid JSON/)
      await refused(['upload', 'iris', ONNX, '--framework', 'onnx', '--input-schema', await file('unknown.json', '[{"name": "a", "type": "float128"}]')], /unknown type 'float128'/)
      await refused(['upload', 'iris', join(home, 'nope.onnx'), '--framework', 'onnx'], /does not exist/)
      await refused(['show', 'missing'], /'missing' does not exist/)
      await refused(['show', 'iris#9'], /no version #9/)
      await refused(['infer', 'iris@nope', '--input', await file('ok.json', '[{"features": [1, 2, 3, 4]}]')], /no tag 'nope'/)
    })
  })

  it('refuses a corrupt or truncated ONNX file and keeps nothing of it', async () => {
    await unchanged(async () => {
      const bytes = await readFile(ONNX)
      await refused(['upload', 'iris', await file('truncated.onnx', bytes.subarray(0, 700)), '--framework', 'onnx'], /not a valid ONNX model/)
      await refused(['upload', 'other', await file('text.onnx', 'hello'), '--framework', 'onnx'], /not a valid ONNX model/)
      })
  })

  it('refuses bad inference input naming the field and row', async () => {
    await unchanged(async () => {
      const cases: [unknown, RegExp][] = [
        [[{ other: [1, 2, 3, 4] }], /features/],
        [[{ features: [1, 2, 3, 4], extra: 1 }], /extra/],
        [[{ features: ['a', 2, 3, 4] }], /features.*row 0/],
        [[{ features: [1, 2, 3, 4] }, { features: [1, 2, 3] }], /features.*row 1.*4/],
        [[{ features: [1, 2, 3, 4] }, { features: null }], /features.*row 1/],
        [[], /no rows/],
      ]
      for (const [i, [input, pattern]] of cases.entries()) {
        await refused(['infer', 'iris', '--input', await file(`bad-input-${i}.json`, JSON.stringify(input))], pattern)
      }
    })
  })

  it('refuses an unsafe pickle before any interpreter sees it', async () => {
    await unchanged(async () => {
      const schema = await file('s.json', '[{"name": "inputs", "type": {"list": "float64", "size": 4}}]')
      const out = await file('o.json', '[{"name": "predictions", "type": "int64"}]')
      await refused(['upload', 'evil', UNSAFE_PICKLE, '--framework', 'sklearn', '--input-schema', schema, '--output-schema', out], /os\.system|posix\.system/)
    })
  })

  it('refuses step zips with ../ entries or symlinks', async () => {
    await unchanged(async () => {
      const schema = await file('x.json', '[{"name": "x", "type": "float64"}]')
      const script = 'def process_data(d):\n    return {"x": d["x"]}\n'
      const escape = await file('escape.zip', buildZip([{ name: 'step.py', data: script }, { name: '../evil.txt', data: 'x' }]))
      await refused(['upload', 'step', escape, '--framework', 'python', '--input-schema', schema, '--output-schema', schema], /\.\.\/evil\.txt/)
      const link = await file('link.zip', buildZip([{ name: 'step.py', data: script }, { name: 'passwd', data: '/etc/passwd', mode: S_IFLNK | 0o777 }]))
      await refused(['upload', 'step', link, '--framework', 'python', '--input-schema', schema, '--output-schema', schema], /passwd/)
    })
  })
})
