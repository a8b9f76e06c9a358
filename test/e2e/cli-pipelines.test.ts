/** `quiver pipeline …` through the real bin/quiver on one home: create with maps, deploy, infer, validate, swap, logs, undeploy. */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { writeScale, writeTotal } from '../pipelines/pipeline-models.js'

describe('quiver pipeline', () => {
  let home: string
  const q = (...args: string[]) => runCli(args, { home })
  const ok = async (...args: string[]) => {
    const r = await q(...args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }
  before(async () => {
    home = await makeTemp()
    await ok('upload', 'scale', await writeScale(home, 2), '--framework', 'onnx', '--tag', 'prod')
    await ok('upload', 'scale', await writeScale(home, 3), '--framework', 'onnx')
    await ok('upload', 'total-v', await writeTotal(home, 'v'), '--framework', 'onnx')
    await writeFile(join(home, 'in.json'), JSON.stringify([{ x: [1, 2, 3] }]))
  })
  after(() => removeTemp(home))

  it('runs the pipeline commands of SPEC §8 end to end', async () => {
    const refused = await q('pipeline', 'create', 'chain', '--step', 'scale@prod', '--step', 'total-v')
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /input 'v' \(list<float32>\[3\]\) is not among its outputs \(y\)/)
    const created = JSON.parse((await ok('--json', 'pipeline', 'create', 'chain', '--step', 'scale@prod', '--step', 'total-v', '--map', 'y=v')).stdout)
    assert.deepEqual(created.steps, [{ ref: 'scale@prod' }, { ref: 'total-v', map: { y: 'v' } }])
    const idle = await q('pipeline', 'infer', 'chain', '--input', join(home, 'in.json'))
    assert.equal(idle.code, 1)
    assert.match(idle.stderr, /pipeline 'chain' is not deployed/)
    await ok('pipeline', 'deploy', 'chain', '--replicas', '1', '--batch-max-rows', '16')
    const result = JSON.parse((await ok('pipeline', 'infer', 'chain', '--input', join(home, 'in.json'))).stdout)
    assert.deepEqual(result[0]['out.score'], [12])
    await ok('pipeline', 'validate', 'chain', '--add', 'high=out.score[0] > 10')
    assert.equal(JSON.parse((await ok('pipeline', 'infer', 'chain', '--input', join(home, 'in.json'))).stdout)[0]['anomaly.high'], true)
    await ok('pipeline', 'swap-step', 'chain', '0', 'scale#2')
    assert.deepEqual(JSON.parse((await ok('pipeline', 'infer', 'chain', '--input', join(home, 'in.json'))).stdout)[0]['out.score'], [18])
    const logs = JSON.parse((await ok('pipeline', 'logs', 'chain', '--limit', '5', '--output-format', 'records')).stdout)
    assert.deepEqual(logs.map((r: any) => r['out.score'][0]), [12, 12, 18])
    const shown = await ok('pipeline', 'show', 'chain')
    assert.match(shown.stdout, /chain v3[\s\S]*step 0: scale#2[\s\S]*validation high: out\.score\[0\] > 10[\s\S]*deployed: 1 replica/)
    const listed = await ok('pipeline', 'list')
    assert.match(listed.stdout, /chain\s+v3\s+scale#2 → total-v\s+yes/)
    await ok('pipeline', 'undeploy', 'chain')
    assert.equal((await q('pipeline', 'infer', 'chain', '--input', join(home, 'in.json'))).code, 1)
    const over = await q('pipeline', 'deploy', 'chain', '--memory', '64Ki')
    assert.equal(over.code, 2)
    assert.match(over.stderr, /needs about .* but its memory limit is 64\.0 KiB/)
  })
})
