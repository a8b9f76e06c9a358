/**
 * `quiver registry` with type `quiver`: a second, real `quiver serve` is the registry. Browsing its
 * models and versions, importing a version (same bytes, schemas, metadata.source, lineage edge) and
 * running it here; a registry that is down, and a model or version it does not have.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openMetadataStore } from '../../src/store/open-store.js'
import { SqlFeatureSetStore } from '../../src/store/sql-feature-set-store.js'
import { SqlMetadataStore } from '../../src/store/sql-store.js'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served, stopServed } from '../helpers/serve.js'
import { readCase } from '../runtimes/python-helpers.js'

const iris = readCase('onnx-mlp-iris')

async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

describe('registry of type quiver', () => {
  let peerHome: string
  let home: string
  let peer: Served | undefined
  const q = (...args: string[]) => runCli(args, { home })
  const ok = async (h: string, ...args: string[]) => {
    const r = await runCli(args, { home: h })
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }

  before(async () => {
    peerHome = await makeTemp()
    home = await makeTemp()
    await ok(peerHome, 'upload', 'iris', iris.artifact, '--framework', 'onnx', '--meta', 'team="plants"', '--description', 'iris MLP')
    await ok(peerHome, 'upload', 'iris', iris.artifact, '--framework', 'onnx', '--tag', 'prod')
    peer = await serve(peerHome, [])
    await writeFile(join(home, 'in.json'), JSON.stringify(iris.input.features!.map((f) => ({ features: f }))))
  })
  after(async () => {
    await stopServed(peer)
    await removeTemp(peerHome)
    await removeTemp(home)
  })

  it('adds the registry and lists it, its models and their versions', async () => {
    const added = JSON.parse((await ok(home, '--json', 'registry', 'add', 'peer', '--type', 'quiver', '--url', peer!.url)).stdout)
    assert.deepEqual([added.name, added.type, added.url], ['peer', 'quiver', peer!.url])
    const again = await q('registry', 'add', 'peer', '--type', 'quiver', '--url', peer!.url)
    assert.match(again.stderr, /already has a registry named 'peer'/)
    assert.deepEqual(JSON.parse((await ok(home, '--json', 'registry', 'list')).stdout).map((r: any) => r.name), ['peer'])
    const models = JSON.parse((await ok(home, '--json', 'registry', 'models', 'peer')).stdout)
    assert.deepEqual(models.map((m: any) => [m.name, m.latest_version]), [['iris', '2']])
    const versions = JSON.parse((await ok(home, '--json', 'registry', 'versions', 'peer', 'iris')).stdout)
    assert.deepEqual(versions.map((v: any) => [v.version, v.status, v.framework]), [['1', 'ready', 'onnx'], ['2', 'ready', 'onnx']])
  })

  it('imports a version with its bytes, schemas, metadata, source and lineage, and runs it', async () => {
    const peerV1 = JSON.parse((await ok(peerHome, '--server', peer!.url, '--json', 'show', 'iris#1')).stdout)
    const v = JSON.parse((await ok(home, '--json', 'upload', 'plants', '--from-registry', 'peer/iris/1', '--tag', 'imported')).stdout)
    assert.equal(v.status, 'ready')
    assert.equal(v.sha256, peerV1.sha256)
    assert.equal(v.framework, 'onnx')
    assert.equal(v.description, 'iris MLP')
    assert.deepEqual(v.input_schema, peerV1.input_schema)
    assert.equal(v.metadata.team, 'plants')
    assert.deepEqual(v.metadata.source, { registry: 'peer', type: 'quiver', model: 'iris', version: '1', uri: `${peer!.url}/v1/models/${encodeURIComponent(`iris:${peerV1.version}`)}` })
    const byTag = JSON.parse((await ok(home, '--json', 'upload', 'plants', '--from-registry', 'peer/iris/prod')).stdout)
    assert.equal(byTag.seq, 2)
    const out = JSON.parse((await ok(home, 'infer', 'plants@imported', '--input', join(home, 'in.json'), '--output-format', 'columns')).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')

    const store = await openMetadataStore({ home })
    try {
      const edges = await new SqlFeatureSetStore((store as SqlMetadataStore).driver).lineageEdges()
      assert.ok(edges.some((e) => e.from_kind === 'registry_model_version' && e.from_ref === 'peer/iris/1' && e.to_ref === `plants:${v.version}` && e.relation === 'imported_as'), JSON.stringify(edges))
    } finally {
      await store.close()
    }
  })

  it('says which model or version the registry does not have, and when the registry is down', async () => {
    const noModel = await q('upload', 'x', '--from-registry', 'peer/nothing/1')
    assert.equal(noModel.code, 2)
    assert.match(noModel.stderr, /model 'nothing' version '1' does not exist in registry 'peer'/)
    const noVersion = await q('registry', 'versions', 'peer', 'nothing')
    assert.match(noVersion.stderr, /model 'nothing' does not exist in registry 'peer'/)
    const noVersion9 = await q('upload', 'x', '--from-registry', 'peer/iris/9')
    assert.match(noVersion9.stderr, /version '9' does not exist in registry 'peer'/)
    const noRegistry = await q('upload', 'x', '--from-registry', 'elsewhere/iris/1')
    assert.match(noRegistry.stderr, /has no registry named 'elsewhere'/)
    const badFrom = await q('upload', 'x', '--from-registry', 'peer/iris')
    assert.match(badFrom.stderr, /expects REGISTRY\/MODEL\/VERSION/)
    await ok(home, 'registry', 'add', 'down', '--type', 'quiver', '--url', `http://127.0.0.1:${await closedPort()}`)
    const down = await q('registry', 'models', 'down')
    assert.equal(down.code, 1)
    assert.match(down.stderr, /registry 'down' at http:\/\/127\.0\.0\.1:\d+ cannot be reached: ECONNREFUSED/)
    assert.deepEqual(JSON.parse((await ok(home, '--json', 'models')).stdout).map((m: any) => m.name), ['plants'])
  })
})
