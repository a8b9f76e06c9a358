/**
 * The MLflow registry client. An MLflow server cannot be installed here, so a small local HTTP
 * server replays payloads shaped as MLflow's documented REST API 2.0 responses
 * (registered-models/search and /get, model-versions/search, /get and /get-download-uri, the
 * mlflow-artifacts proxy's listing and download, RESOURCE_DOES_NOT_EXIST errors) and MLmodel files
 * as MLflow writes them. Quiver runs as a real `quiver serve`, driven through the CLI with
 * --server, so the SDK client and the /v1/registries routes are the path under test.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseMlmodelYaml, planMlmodel } from '../../src/registry/sources/mlmodel.js'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served, stopServed } from '../helpers/serve.js'
import { pythonOr, readCase } from '../runtimes/python-helpers.js'

const iris = readCase('onnx-mlp-iris')
const sk = readCase('sklearn-logreg-iris')

const ONNX_MLMODEL = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.12.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.2
mlflow_version: 2.9.2
model_uuid: 3f1c6a1e0b2a4c7e9d8f7a6b5c4d3e2f
run_id: 8a2b4c6d8e0f4a1b3c5d7e9f0a2b4c6d
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1,
    4]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1,
    3]}}]'
  params: null
utc_time_created: '2024-01-01 00:00:00.000000'
`
const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.2.1
mlflow_version: 2.9.2
model_uuid: 5d2e8f1a3b4c4d6e8f0a1b2c3d4e5f60
run_id: 1b3d5f7a9c0e4b2d6f8a0c2e4a6c8e0f
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name":
    "petal length (cm)", "required": true}, {"type": "double", "name": "petal width
    (cm)", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-01-01 00:00:00.000000'
`
const PYFUNC_MLMODEL = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 2.2.1
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.2
mlflow_version: 2.9.2
model_uuid: 7e9a1c3e5a7c4e9a1c3e5a7c9e1a3c5e
run_id: 2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c
`

interface Replayed { run: string; files: Record<string, Buffer | string>; description?: string }
const MODELS: Record<string, Replayed> = {
  'iris-onnx': { run: '1/8a2b4c6d8e0f4a1b3c5d7e9f0a2b4c6d', files: { MLmodel: ONNX_MLMODEL, 'model.onnx': readFileSync(iris.artifact), 'conda.yaml': 'name: mlflow-env\n' }, description: 'MLP on iris' },
  'iris-sklearn': { run: '1/1b3d5f7a9c0e4b2d6f8a0c2e4a6c8e0f', files: { MLmodel: SKLEARN_MLMODEL, 'model.pkl': readFileSync(sk.artifact) } },
  'custom-scorer': { run: '2/2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c', files: { MLmodel: PYFUNC_MLMODEL, 'python_model.pkl': Buffer.from([0x80, 0x04, 0x4e, 0x2e]) } },
}
const T0 = 1_704_067_200_000

function mlflowReplay(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const missing = (what: string) => json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: what })
    const version = (name: string) => ({
      name, version: '1', creation_timestamp: T0, last_updated_timestamp: T0, current_stage: 'None', description: MODELS[name]!.description ?? '',
      source: `mlflow-artifacts:/${MODELS[name]!.run}/artifacts/model`, run_id: MODELS[name]!.run.split('/')[1], status: 'READY', run_link: '',
      tags: [{ key: 'owner', value: 'ml-team' }],
    })
    const p = url.pathname
    const name = url.searchParams.get('name') ?? ''
    if (p === '/api/2.0/mlflow/registered-models/search') {
      return json(200, { registered_models: Object.keys(MODELS).map((n) => ({ name: n, creation_timestamp: T0, last_updated_timestamp: T0, latest_versions: [version(n)] })) })
    }
    if (p === '/api/2.0/mlflow/registered-models/get') {
      return MODELS[name] ? json(200, { registered_model: { name, creation_timestamp: T0 } }) : missing(`Registered Model with name=${name} not found`)
    }
    if (p === '/api/2.0/mlflow/model-versions/search') {
      const m = /^name='(.*)'$/.exec(url.searchParams.get('filter') ?? '')
      return json(200, { model_versions: m && MODELS[m[1]!] ? [version(m[1]!)] : [] })
    }
    if (p === '/api/2.0/mlflow/model-versions/get' || p === '/api/2.0/mlflow/model-versions/get-download-uri') {
      if (!MODELS[name] || url.searchParams.get('version') !== '1') return missing(`Model Version (name=${name}, version=${url.searchParams.get('version')}) not found`)
      return json(200, p.endsWith('get') ? { model_version: version(name) } : { artifact_uri: `mlflow-artifacts:/${MODELS[name]!.run}/artifacts/model` })
    }
    if (p === '/api/2.0/mlflow-artifacts/artifacts') {
      const m = Object.values(MODELS).find((x) => url.searchParams.get('path') === `${x.run}/artifacts/model`)
      if (!m) return json(200, {})
      return json(200, { files: Object.entries(m.files).map(([f, b]) => ({ path: f, is_dir: false, file_size: Buffer.byteLength(b) })) })
    }
    const file = /^\/api\/2\.0\/mlflow-artifacts\/artifacts\/(.+)\/artifacts\/model\/(.+)$/.exec(p)
    const m = file && Object.values(MODELS).find((x) => x.run === decodeURIComponent(file[1]!))
    if (m && m.files[decodeURIComponent(file![2]!)] !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      return res.end(m.files[decodeURIComponent(file![2]!)])
    }
    missing(`no route ${p}`)
  })
}

describe('MLmodel files', () => {
  it('map flavors to frameworks and signatures to schemas, following SPEC §3 for sklearn', () => {
    const onnx = planMlmodel(parseMlmodelYaml(ONNX_MLMODEL))
    assert.deepEqual([onnx.framework, onnx.file, onnx.input_schema], ['onnx', 'model.onnx', null])
    assert.deepEqual(onnx.flavors, ['onnx', 'python_function'])
    const skl = planMlmodel(parseMlmodelYaml(SKLEARN_MLMODEL))
    assert.deepEqual([skl.framework, skl.file], ['sklearn', 'model.pkl'])
    assert.deepEqual(skl.input_schema, [{ name: 'inputs', type: { list: 'float64', size: 4 }, nullable: false }])
    assert.deepEqual(skl.output_schema, [{ name: 'predictions', type: 'int64', nullable: false }])
    assert.deepEqual(skl.feature_names, ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'])
    const py = planMlmodel(parseMlmodelYaml(PYFUNC_MLMODEL))
    assert.equal(py.framework, 'mlflow')
    assert.match(py.unsupported!, /MLflow flavor python_function: Quiver runs the onnx, sklearn and xgboost flavors/)
  })
})

describe('registry of type mlflow (replayed MLflow REST payloads)', () => {
  let mlflow: Server
  let mlflowUrl = ''
  let home: string
  let quiver: Served | undefined
  const q = (...args: string[]) => runCli(['--server', quiver!.url, ...args])
  const ok = async (...args: string[]) => {
    const r = await q(...args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }

  before(async () => {
    mlflow = mlflowReplay()
    await new Promise<void>((r) => mlflow.listen(0, '127.0.0.1', r))
    mlflowUrl = `http://127.0.0.1:${(mlflow.address() as AddressInfo).port}`
    home = await makeTemp()
    quiver = await serve(home, [])
    await writeFile(join(home, 'iris.json'), JSON.stringify(iris.input.features!.map((f) => ({ features: f }))))
    await writeFile(join(home, 'sk.json'), JSON.stringify(sk.input.inputs!.map((f) => ({ inputs: f }))))
  })
  after(async () => {
    await stopServed(quiver)
    mlflow?.closeAllConnections()
    await new Promise((r) => mlflow?.close(r))
    await removeTemp(home)
  })

  it('lists registered models and their versions', async () => {
    await ok('registry', 'add', 'mlf', '--type', 'mlflow', '--url', mlflowUrl)
    const models = JSON.parse((await ok('--json', 'registry', 'models', 'mlf')).stdout)
    assert.deepEqual(models.map((m: any) => [m.name, m.latest_version]), [['iris-onnx', '1'], ['iris-sklearn', '1'], ['custom-scorer', '1']])
    const versions = JSON.parse((await ok('--json', 'registry', 'versions', 'mlf', 'iris-onnx')).stdout)
    assert.deepEqual(versions.map((v: any) => [v.version, v.status, v.created_at]), [['1', 'READY', '2024-01-01T00:00:00.000Z']])
    const none = await q('registry', 'versions', 'mlf', 'nope')
    assert.equal(none.code, 2)
    assert.match(none.stderr, /model 'nope' does not exist in registry 'mlf'/)
  })

  it('imports an onnx flavor: its file, schemas read from the model, MLflow metadata and source', async () => {
    const v = JSON.parse((await ok('--json', 'upload', 'iris', '--from-registry', 'mlf/iris-onnx/1')).stdout)
    assert.equal(v.status, 'ready')
    assert.equal(v.framework, 'onnx')
    assert.equal(v.file_name, 'model.onnx')
    assert.equal(v.description, 'MLP on iris')
    assert.deepEqual(v.input_schema, iris.input_schema)
    assert.deepEqual(v.metadata.source, { registry: 'mlf', type: 'mlflow', model: 'iris-onnx', version: '1', uri: 'mlflow-artifacts:/1/8a2b4c6d8e0f4a1b3c5d7e9f0a2b4c6d/artifacts/model' })
    assert.deepEqual(v.metadata.mlflow.flavors, ['onnx', 'python_function'])
    assert.deepEqual(v.metadata.mlflow.tags, { owner: 'ml-team' })
    const out = JSON.parse((await ok('infer', 'iris', '--input', join(home, 'iris.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
  })

  it('imports a sklearn flavor with the schemas of its signature', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'sklearn']))) return
    const v = JSON.parse((await ok('--json', 'upload', 'iris-sk', '--from-registry', 'mlf/iris-sklearn/1')).stdout)
    assert.equal(v.status, 'ready')
    assert.deepEqual(v.output_schema, [{ name: 'predictions', type: 'int64', nullable: false }])
    assert.deepEqual(v.metadata.mlflow.feature_names.length, 4)
    const out = JSON.parse((await ok('infer', 'iris-sk', '--input', join(home, 'sk.json'), '--output-format', 'columns')).stdout)
    assert.deepEqual(out.columns['out.predictions'], sk.expected.predictions)
  })

  it('registers a flavor Quiver cannot run with status error, naming the flavor', async () => {
    const r = await q('--json', 'upload', 'scorer', '--from-registry', 'mlf/custom-scorer/1')
    assert.equal(r.code, 1)
    const v = JSON.parse(r.stdout)
    assert.equal(v.status, 'error')
    assert.equal(v.framework, 'mlflow')
    assert.match(v.error_message, /MLflow flavor python_function: Quiver runs the onnx, sklearn and xgboost flavors/)
  })

  it('says when a version does not exist, and when the tracking server is down', async () => {
    const missing = await q('upload', 'x', '--from-registry', 'mlf/iris-onnx/7')
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /model 'iris-onnx' version '7' does not exist in registry 'mlf'/)
    const port = (mlflow.address() as AddressInfo).port
    mlflow.closeAllConnections()
    await new Promise((r) => mlflow.close(r))
    const down = await q('registry', 'models', 'mlf')
    assert.equal(down.code, 1)
    assert.match(down.stderr, new RegExp(`registry 'mlf' at http://127\\.0\\.0\\.1:${port} cannot be reached: ECONNREFUSED`))
  })
})
