/**
 * Pipelines through the in-process core: create-time chain checks, deploy and its limits, the
 * result table with validations, logs, deployments across a restart, tags followed, and every bad
 * input of SPEC §8 refused with a clear error.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { columnValues } from '../helpers/arrow-values.js'
import { rows, uploadChainModels } from './pipeline-models.js'

const refused = (code: string, message: RegExp) => (err: unknown) => {
  const e = err as { code?: string; message?: string }
  assert.equal(e.code, code, e.message)
  assert.match(e.message ?? '', message)
  return true
}

describe('pipelines in process', () => {
  let home: string
  let api: LocalQuiverApi
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-pipelines-'))
    api = await createLocalQuiver({ home, databaseUrl: '' })
    await uploadChainModels(api, home)
    await api.uploadModel({ name: 'broken', source: { path: join(home, 'scale-2.onnx') }, framework: 'tensorflow' })
  })
  after(async () => {
    await api?.close()
    await rm(home, { recursive: true, force: true })
  })

  it('creates versioned pipelines and answers the result table of the first input and last output', async () => {
    const p1 = await api.pipelines.create('chain', [{ ref: 'scale@prod' }, { ref: 'total' }])
    assert.equal(p1.version, 1)
    assert.equal(p1.deployment, null)
    const p2 = await api.pipelines.create('chain', [{ ref: 'scale@prod' }, { ref: 'total-v', map: { y: 'v' } }])
    assert.equal(p2.version, 2)
    assert.deepEqual(p2.steps[1], { ref: 'total-v', map: { y: 'v' } })
    const deployed = await api.pipelines.deploy('chain', { replicas: 2 })
    assert.equal(deployed.deployment?.replicas, 2)
    assert.ok(deployed.deployment!.estimate_bytes > 0)
    const result = await api.pipelines.infer('chain', rows([1, 2, 3], [0, 0, 1]))
    assert.deepEqual(result.schema.fields.map((f) => f.name), ['time', 'in.x', 'out.score', 'anomaly.count'])
    assert.deepEqual(columnValues(result, 'out.score'), [[12], [2]])
    assert.deepEqual(columnValues(result, 'anomaly.count'), [0, 0])
    assert.deepEqual((await api.pipelines.list()).map((p) => [p.name, p.version, p.deployment !== null]), [['chain', 2, true]])
  })

  it('adds validations as anomaly columns, refusing ones that do not parse or name unknown fields', async () => {
    await assert.rejects(api.pipelines.validate('chain', { add: [{ name: 'high', expression: 'out.score[0] >' }] }), refused('invalid_input', /validation 'high'/))
    await assert.rejects(api.pipelines.validate('chain', { add: [{ name: 'high', expression: 'out.scor[0] > 10' }] }), refused('invalid_input', /unknown field out\.scor/))
    const p = await api.pipelines.validate('chain', { add: [{ name: 'high', expression: 'out.score[0] > 10' }] })
    assert.deepEqual(p.validations, [{ name: 'high', expression: 'out.score[0] > 10' }])
    const result = await api.pipelines.infer('chain', rows([1, 2, 3], [0, 0, 1]))
    assert.deepEqual(columnValues(result, 'anomaly.high'), [true, false])
    assert.deepEqual(columnValues(result, 'anomaly.count'), [1, 0])
    await assert.rejects(api.pipelines.validate('chain', { remove: ['nope'] }), refused('not_found', /no validation 'nope'/))
  })

  it('follows a moved tag, and refuses moving it to a version with another schema', async () => {
    assert.deepEqual(columnValues(await api.pipelines.infer('chain', rows([1, 1, 1])), 'out.score'), [[6]])
    await api.tag('scale#2', 'prod')
    assert.deepEqual(columnValues(await api.pipelines.infer('chain', rows([1, 1, 1])), 'out.score'), [[9]])
    await api.tag('scale#1', 'prod')
    assert.deepEqual(columnValues(await api.pipelines.infer('chain', rows([1, 1, 1])), 'out.score'), [[6]])
  })

  it('logs every inference with the versions that answered, queryable by time and limit', async () => {
    await api.pipelines.infer('chain', rows([5, 5, 5]))
    await new Promise((r) => setTimeout(r, 1200))
    const logs = await api.pipelines.logs('chain', { limit: 2 })
    assert.equal(logs.numRows, 2)
    assert.deepEqual(columnValues(logs, 'out.score').at(-1), [30])
    assert.ok(logs.getChild('metadata.steps'), 'step versions are logged')
    const none = await api.pipelines.logs('chain', { until: new Date(0) })
    assert.equal(none.numRows, 0)
  })

  it('refuses what SPEC §8 lists as bad input, naming what is wrong', async () => {
    await assert.rejects(api.pipelines.create('bad', [{ ref: 'missing' }]), refused('not_found', /step 1: model 'missing' does not exist/))
    await assert.rejects(api.pipelines.create('bad', [{ ref: 'scale@nope' }]), refused('not_found', /step 1: model 'scale' has no tag 'nope'/))
    await assert.rejects(api.pipelines.create('bad', [{ ref: 'scale' }, { ref: 'wide' }]),
      refused('invalid_input', /step 2 \(wide = wide#1\) cannot take the output of step 1 .*input 'y' needs list<float32>\[4\] but output 'y' is list<float32>\[3\]/))
    await assert.rejects(api.pipelines.create('bad', [{ ref: 'scale' }, { ref: 'total-v' }]), refused('invalid_input', /input 'v' \(list<float32>\[3\]\) is not among its outputs \(y\)/))
    await assert.rejects(api.pipelines.create('bad', [{ ref: 'scale' }, { ref: 'total', map: { q: 'y' } }]), refused('invalid_input', /maps 'q', which step 1 .* does not output/))
    await assert.rejects(api.pipelines.create('Bad_Name', [{ ref: 'scale' }]), refused('invalid_input', /invalid pipeline name "Bad_Name"/))
    await api.pipelines.create('errs', [{ ref: 'broken#1' }])
    await assert.rejects(api.pipelines.deploy('errs'), refused('conflict', /step 1 \(broken#1 = broken#1\) is in status error: .*a deployment needs every step ready/))
    await api.pipelines.create('idle', [{ ref: 'scale#2' }])
    await assert.rejects(api.pipelines.infer('idle', rows([1, 2, 3])), refused('conflict', /pipeline 'idle' is not deployed; deploy it first/))
    await assert.rejects(api.pipelines.deploy('idle', { memory: '1Ki' }), refused('invalid_input', /pipeline 'idle' needs about .* \(1 replica × \(scale#2 .*\)\) but its memory limit is 1\.0 KiB/))
    await assert.rejects(api.pipelines.deploy('idle', { memory: 'lots' }), refused('invalid_input', /memory "lots" is not a size/))
    await assert.rejects(api.pipelines.deploy('idle', { replicas: 0 }), refused('invalid_input', /replicas must be a whole number from 1 to 64, got 0/))
    await assert.rejects(api.pipelines.swapStep('chain', 1, 'wide'), refused('invalid_input', /step 1 cannot swap from total-v#1 to wide#1: their input schemas differ/))
    await assert.rejects(api.pipelines.swapStep('chain', 5, 'scale'), refused('invalid_input', /step index 5 is out of range/))
    // scale#3 takes 4 wide inputs: a deployment following latest keeps what it serves and the upload says so;
    // the deployed chain follows scale@prod, and the tag cannot move there.
    await api.pipelines.create('newest', [{ ref: 'scale' }])
    await api.pipelines.deploy('newest')
    const lines: string[] = []
    await api.uploadModel({ name: 'scale', source: { path: join(home, 'wide.onnx') }, framework: 'onnx', onProgress: (m) => lines.push(m) })
    assert.ok(lines.some((l) => /^pipeline 'newest' keeps serving scale#2: /.test(l)), lines.join('\n'))
    assert.deepEqual(columnValues(await api.pipelines.infer('newest', rows([1, 1, 1])), 'out.y'), [[3, 3, 3]])
    await api.pipelines.undeploy('newest')
    await assert.rejects(api.tag('scale#3', 'prod'), refused('invalid_input', /pipeline 'chain' step 0 cannot swap from scale#1 to scale#3: their input schemas differ/))
    assert.equal((await api.getVersion('scale@prod')).seq, 1, 'the tag stayed')
    await assert.rejects(api.pipelines.infer('chain', rows([1, 2])), refused('invalid_input', /'x'.*row 0/))
    await assert.rejects(api.pipelines.show('nothing'), refused('not_found', /pipeline 'nothing' does not exist/))
  })

  it('refuses inference once undeployed, and keeps deployments across a restart', async () => {
    await api.pipelines.deploy('idle')
    assert.deepEqual(columnValues(await api.pipelines.infer('idle', rows([1, 1, 1])), 'out.y'), [[3, 3, 3]])
    await api.pipelines.undeploy('idle')
    await assert.rejects(api.pipelines.infer('idle', rows([1, 1, 1])), refused('conflict', /not deployed/))
    await api.close()
    api = await createLocalQuiver({ home, databaseUrl: '' })
    assert.deepEqual(columnValues(await api.pipelines.infer('chain', rows([1, 1, 1])), 'out.score'), [[6]])
    await assert.rejects(api.pipelines.infer('idle', rows([1, 1, 1])), refused('conflict', /not deployed/))
    assert.ok((await api.pipelines.logs('chain', {})).numRows >= 5, 'logs survive the restart')
  })
})
