/**
 * A `js` model through the real CLI and a real server: upload (a zip with index.mjs, and a single
 * .mjs file), inference with nulls passed through, a pipeline of a js step after an ONNX model,
 * and a module without `load` refused at upload, leaving nothing behind.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served, stopServed } from '../helpers/serve.js'
import { readCase } from '../runtimes/python-helpers.js'

const zscore = readCase('js-zscore-step')
const iris = readCase('onnx-mlp-iris')

describe('js models end to end', () => {
  let home: string
  let server: Served | undefined
  const q = (...args: string[]) => runCli(['--server', server!.url, ...args])
  const ok = async (...args: string[]) => {
    const r = await q(...args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }

  before(async () => {
    home = await makeTemp()
    server = await serve(home, [])
    await writeFile(join(home, 'in-schema.json'), JSON.stringify(zscore.input_schema))
    await writeFile(join(home, 'out-schema.json'), JSON.stringify(zscore.output_schema))
    const rows = zscore.input.temperature_c!.map((_, i) => Object.fromEntries(Object.keys(zscore.input).map((k) => [k, zscore.input[k]![i]])))
    await writeFile(join(home, 'weather.json'), JSON.stringify(rows))
    await writeFile(join(home, 'argmax.mjs'), `export function load(dir, { arrow }) {
  return { infer(t) {
    const probs = t.getChild('species_probs')
    const best = new Int32Array(t.numRows)
    const top = new Array(t.numRows)
    for (let i = 0; i < t.numRows; i++) {
      const p = probs.get(i)
      if (p === null) { top[i] = null; continue }
      let k = 0
      for (let j = 1; j < p.length; j++) if (p.get(j) > p.get(k)) k = j
      best[i] = k
      top[i] = ['setosa', 'versicolor', 'virginica'][k]
    }
    return { species: best, name: top }
  } }
}
`)
    await writeFile(join(home, 'argmax-in.json'), JSON.stringify([{ name: 'species_probs', type: { list: 'float32', size: 3 }, nullable: true }]))
    await writeFile(join(home, 'argmax-out.json'), JSON.stringify([{ name: 'species', type: 'int32', nullable: false }, { name: 'name', type: 'string', nullable: true }]))
    await writeFile(join(home, 'iris.json'), JSON.stringify(iris.input.features!.map((f) => ({ features: f }))))
    await writeFile(join(home, 'nulls.json'), JSON.stringify([{ species_probs: [0.1, 0.7, 0.2] }, { species_probs: null }]))
    await writeFile(join(home, 'no-load.mjs'), 'export function predict() {}\n')
  })
  after(async () => {
    await stopServed(server)
    await removeTemp(home)
  })

  it('uploads the zip over REST and answers as the fixture expects', async () => {
    const v = JSON.parse((await ok('--json', 'upload', 'zscore', zscore.artifact, '--framework', 'js',
      '--input-schema', join(home, 'in-schema.json'), '--output-schema', join(home, 'out-schema.json'))).stdout)
    assert.equal(v.status, 'ready')
    const out = JSON.parse((await ok('infer', 'zscore', '--input', join(home, 'weather.json'), '--output-format', 'columns')).stdout)
    for (const [f, want] of Object.entries(zscore.expected)) {
      if (f === 'band') assert.deepEqual(out.columns['out.band'], want)
      else assertClose(out.columns[`out.${f}`], want, zscore.tolerance, f)
    }
  })

  it('runs a single .mjs file as a pipeline step after an ONNX model, and passes nulls through', async () => {
    await ok('upload', 'iris', iris.artifact, '--framework', 'onnx')
    await ok('upload', 'argmax', join(home, 'argmax.mjs'), '--framework', 'js', '--input-schema', join(home, 'argmax-in.json'), '--output-schema', join(home, 'argmax-out.json'))
    const alone = JSON.parse((await ok('infer', 'argmax', '--input', join(home, 'nulls.json'), '--output-format', 'columns')).stdout)
    assert.deepEqual(alone.columns['out.name'], ['versicolor', null])
    await ok('pipeline', 'create', 'classify', '--step', 'iris', '--step', 'argmax')
    await ok('pipeline', 'deploy', 'classify')
    const out = JSON.parse((await ok('pipeline', 'infer', 'classify', '--input', join(home, 'iris.json'), '--output-format', 'columns')).stdout)
    const want = (iris.expected.species_probs as number[][]).map((p) => p.indexOf(Math.max(...p)))
    assert.deepEqual(out.columns['out.species'], want)
  })

  it('refuses a module without load at upload, keeping no version', async () => {
    const r = await q('upload', 'broken', join(home, 'no-load.mjs'), '--framework', 'js', '--input-schema', join(home, 'argmax-in.json'), '--output-schema', join(home, 'argmax-out.json'))
    assert.equal(r.code, 2)
    assert.match(r.stderr, /no-load\.mjs: its module exports no function load\(dir\) \(exports: predict\)/)
    const models = JSON.parse((await ok('--json', 'models')).stdout).map((m: any) => m.name)
    assert.ok(!models.includes('broken'))
  })
})
