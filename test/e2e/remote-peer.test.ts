/**
 * `remote` models whose endpoint is a second, real `quiver serve`: its Open Inference Protocol
 * model (schemas read from the peer's metadata) and its deployed pipeline's MLflow scoring URL,
 * each through `quiver upload … --framework remote`, `quiver infer`, and as a step of a pipeline.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served, stopServed } from '../helpers/serve.js'
import { readCase } from '../runtimes/python-helpers.js'

const iris = readCase('onnx-mlp-iris')

describe('remote models served by a second quiver', () => {
  let peerHome: string
  let home: string
  let peer: Served | undefined
  const ok = async (h: string, ...args: string[]) => {
    const r = await runCli(args, { home: h })
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }
  const records = () => iris.input.features!.map((f) => ({ features: f }))

  before(async () => {
    peerHome = await makeTemp()
    home = await makeTemp()
    await ok(peerHome, 'upload', 'iris', iris.artifact, '--framework', 'onnx')
    await ok(peerHome, 'pipeline', 'create', 'iris-line', '--step', 'iris')
    await ok(peerHome, 'pipeline', 'deploy', 'iris-line')
    peer = await serve(peerHome, [])
    await writeFile(join(home, 'in.json'), JSON.stringify(records()))
    await writeFile(join(home, 'input-schema.json'), JSON.stringify(iris.input_schema))
    await writeFile(join(home, 'output-schema.json'), JSON.stringify(iris.output_schema))
  })
  after(async () => {
    await stopServed(peer)
    await removeTemp(peerHome)
    await removeTemp(home)
  })

  it('registers the peer\'s V2 model with the schemas of its metadata and answers as the peer does', async () => {
    const v = JSON.parse((await ok(home, '--json', 'upload', 'iris-v2', `${peer!.url}/v2/models/iris`, '--framework', 'remote', '--protocol', 'v2')).stdout)
    assert.equal(v.status, 'ready')
    assert.equal(v.runtime, 'remote')
    assert.equal(v.file_name, 'endpoint.json')
    assert.deepEqual(v.input_schema, iris.input_schema)
    const out = JSON.parse((await ok(home, 'infer', 'iris-v2', '--input', join(home, 'in.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
  })

  it('registers the peer pipeline\'s MLflow scoring URL with given schemas', async () => {
    await ok(home, 'upload', 'iris-ml', `${peer!.url}/v1/pipelines/iris-line/invocations`, '--framework', 'remote', '--protocol', 'mlflow',
      '--input-schema', join(home, 'input-schema.json'), '--output-schema', join(home, 'output-schema.json'))
    const out = JSON.parse((await ok(home, 'infer', 'iris-ml', '--input', join(home, 'in.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
  })

  it('runs a remote model as a pipeline step', async () => {
    await ok(home, 'pipeline', 'create', 'via-peer', '--step', 'iris-v2')
    await ok(home, 'pipeline', 'deploy', 'via-peer')
    const out = JSON.parse((await ok(home, 'pipeline', 'infer', 'via-peer', '--input', join(home, 'in.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
  })

  it('refuses an answer whose types differ from the declared output schema, naming the field', async () => {
    await writeFile(join(home, 'wrong-out.json'), JSON.stringify([{ name: 'species_probs', type: { list: 'float64', size: 3 }, nullable: false }]))
    await ok(home, 'upload', 'iris-wrong', `${peer!.url}/v2/models/iris`, '--framework', 'remote', '--protocol', 'v2',
      '--input-schema', join(home, 'input-schema.json'), '--output-schema', join(home, 'wrong-out.json'))
    const r = await runCli(['infer', 'iris-wrong', '--input', join(home, 'in.json')], { home })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /answered output 'species_probs' as FP32; its output schema expects FP64/)
  })

  it('calls a JSON endpoint (the peer\'s /v1 infer) with the json protocol', async () => {
    await ok(home, 'upload', 'iris-json', `${peer!.url}/v1/models/iris/infer`, '--framework', 'remote', '--protocol', 'json',
      '--input-schema', join(home, 'input-schema.json'), '--output-schema', join(home, 'output-schema.json'))
    const out = JSON.parse((await ok(home, 'infer', 'iris-json', '--input', join(home, 'in.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
  })

  it('runs a user\'s own ModelPlatform module named in QUIVER_MODEL_PLATFORMS', async () => {
    const module = join(home, 'peer-platform.mjs')
    await writeFile(module, `export default {
  name: 'peer-records',
  async fetchInference({ input, call }) {
    const records = [...input.getChild('features')].map((v) => ({ features: [...v] }))
    const answer = await call({ body: records })
    return { species_probs: answer.map((r) => r['out.species_probs']) }
  },
}
`)
    const env = { QUIVER_MODEL_PLATFORMS: module }
    const up = await runCli(['upload', 'iris-own', `${peer!.url}/v1/models/iris/infer`, '--framework', 'remote', '--protocol', 'peer-records',
      '--input-schema', join(home, 'input-schema.json'), '--output-schema', join(home, 'output-schema.json')], { home, env })
    assert.equal(up.code, 0, up.stderr)
    const r = await runCli(['infer', 'iris-own', '--input', join(home, 'in.json'), '--output-format', 'columns'], { home, env })
    assert.equal(r.code, 0, r.stderr)
    assertClose(JSON.parse(r.stdout).columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
    const without = await runCli(['infer', 'iris-own', '--input', join(home, 'in.json')], { home })
    assert.equal(without.code, 1)
    assert.match(without.stderr, /remote protocol 'peer-records' is not a model platform of this installation/)
  })

  it('refuses an upload whose peer model does not exist, with the peer\'s message', async () => {
    const r = await runCli(['upload', 'nothing', `${peer!.url}/v2/models/nothing`, '--framework', 'remote', '--protocol', 'v2', '--retries', '0'], { home })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /refused the request \(HTTP 404/)
  })
})
