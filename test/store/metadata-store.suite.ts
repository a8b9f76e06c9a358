import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { ModelSchema } from '../../src/data/schema.js'
import type { MetadataStore, NewVersion } from '../../src/store/store.js'
import { newVersion, sha, uniqueName } from './version-fixtures.js'

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function assertCode(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.equal((err as { code?: string }).code, code, `expected a ${code} error, got ${String(err)}`)
    return true
  }
}

/**
 * The behaviour every `MetadataStore` must have. `open` is called once; tests keep apart by
 * using their own model and workspace names.
 */
export function metadataStoreSuite(name: string, open: () => Promise<MetadataStore>, opts: { skip?: string } = {}): void {
  describe(`MetadataStore (${name})`, { skip: opts.skip }, () => {
    let store: MetadataStore
    before(async () => { store = await open() })
    after(async () => { await store?.close() })

    const create = (over: Partial<NewVersion> & { name: string }) => store.createVersion(newVersion(over))

    it('has the default workspace and creates others idempotently', async () => {
      assert.ok((await store.listWorkspaces()).includes('default'))
      const ws = uniqueName('ws')
      await store.ensureWorkspace(ws)
      await store.ensureWorkspace(ws)
      const all = await store.listWorkspaces()
      assert.equal(all.filter((w) => w === ws).length, 1)
      assert.deepEqual(all, [...all].sort())
    })

    it('creates versions with every field and seqs per model and workspace', async () => {
      const model = uniqueName()
      const ws = uniqueName('ws')
      await store.ensureWorkspace(ws)
      const input = newVersion({ name: model, description: 'first', image_path: '/img', accel: 'cuda', arch: 'arm' })
      const v1 = await store.createVersion(input)
      const { workspace, name: n, ...rest } = input
      for (const [k, val] of Object.entries(rest)) assert.deepEqual(v1[k as keyof typeof v1], val, `field ${k}`)
      assert.equal(workspace, v1.workspace)
      assert.equal(n, v1.name)
      assert.ok(Number.isInteger(v1.id) && v1.id > 0)
      assert.equal(v1.seq, 1)
      assert.deepEqual(v1.tags, [])
      assert.equal(v1.error_message, null)
      assert.match(v1.created_at, ISO_UTC)
      assert.match(v1.last_update_time, ISO_UTC)
      const v2 = await create({ name: model })
      assert.equal(v2.seq, 2)
      assert.notEqual(v2.id, v1.id)
      const other = await create({ name: model, workspace: ws })
      assert.equal(other.seq, 1)
      assert.equal(other.workspace, ws)
    })

    it('refuses a version in a workspace that does not exist', async () => {
      await assert.rejects(create({ name: uniqueName(), workspace: uniqueName('nows') }), assertCode('not_found'))
    })

    it('turns a duplicate version UUID into Conflict and leaves nothing behind', async () => {
      const model = uniqueName()
      const v1 = await create({ name: model })
      await assert.rejects(create({ name: model, version: v1.version }), (err: Error) => {
        assertCode('conflict')(err)
        assert.match(err.message, new RegExp(v1.version))
        return true
      })
      assert.equal((await store.listVersions('default', model)).length, 1)
      assert.equal((await create({ name: model })).seq, 2)
    })

    it('refuses a version string that is not a UUID', async () => {
      await assert.rejects(create({ name: uniqueName(), version: 'not-a-uuid' }), assertCode('invalid_input'))
    })

    it('round-trips JSON fields exactly', async () => {
      const schema: ModelSchema = [
        { name: 'inputs', type: { list: 'float32', size: 4 }, nullable: false },
        { name: 'ragged', type: { list: { list: 'int64', size: null }, size: null }, nullable: true },
        { name: 's', type: { struct: [{ name: 'a', type: 'string', nullable: true }, { name: 't', type: 'timestamp[ms]', nullable: true }] }, nullable: true },
      ]
      const metadata = { owner: 'ünïcødé ✓', n: 1.5, big: 2 ** 40, flag: false, none: null, nested: { list: [1, 'two', { three: 3 }] }, empty: {} }
      const additional_files = { 'tokenizer.json': sha('tok'), 'a/b.txt': sha('ab') }
      const config = { tensor_fields: ['x', 'y'], archive: true, runtime_detail: 'onnx' }
      const v = await create({ name: uniqueName(), input_schema: schema, output_schema: [], metadata, additional_files, config })
      const back = (await store.getVersionById(v.id))!
      assert.deepEqual(back.input_schema, schema)
      assert.deepEqual(back.output_schema, [])
      assert.deepEqual(back.metadata, metadata)
      assert.deepEqual(back.additional_files, additional_files)
      assert.deepEqual(back.config, config)
      assert.deepEqual(back, v)
    })

    it('resolves latest to the highest ready seq, skipping versions that are not ready', async () => {
      const model = uniqueName()
      assert.equal(await store.getVersion('default', model, { kind: 'latest' }), null)
      const v1 = await create({ name: model, status: 'ready' })
      const v2 = await create({ name: model, status: 'pending_conversion' })
      const v3 = await create({ name: model, status: 'error' })
      assert.equal((await store.getVersion('default', model, { kind: 'latest' }))?.id, v1.id)
      await store.updateVersion(v3.id, { status: 'ready' })
      assert.equal((await store.getVersion('default', model, { kind: 'latest' }))?.id, v3.id)
      await store.updateVersion(v3.id, { status: 'error', error_message: 'boom' })
      await store.updateVersion(v2.id, { status: 'converting' })
      assert.equal((await store.getVersion('default', model, { kind: 'latest' }))?.id, v1.id)
      const none = uniqueName()
      await create({ name: none, status: 'converting' })
      assert.equal(await store.getVersion('default', none, { kind: 'latest' }), null)
    })

    it('resolves tag, uuid and seq selectors and answers null for unknown ones', async () => {
      const model = uniqueName()
      const v1 = await create({ name: model })
      const v2 = await create({ name: model, status: 'error' })
      await store.setTag(v2.id, 'candidate')
      const get = (sel: Parameters<MetadataStore['getVersion']>[2], ws = 'default', n = model) => store.getVersion(ws, n, sel)
      assert.equal((await get({ kind: 'tag', tag: 'candidate' }))?.id, v2.id)
      assert.deepEqual((await get({ kind: 'tag', tag: 'candidate' }))?.tags, ['candidate'])
      assert.equal((await get({ kind: 'uuid', uuid: v1.version }))?.id, v1.id)
      assert.equal((await get({ kind: 'uuid', uuid: v1.version.toUpperCase() }))?.id, v1.id)
      assert.equal((await get({ kind: 'seq', seq: 2 }))?.id, v2.id)
      for (const sel of [
        { kind: 'tag', tag: 'nope' }, { kind: 'uuid', uuid: randomUUID() }, { kind: 'uuid', uuid: 'garbage' },
        { kind: 'seq', seq: 3 }, { kind: 'seq', seq: 0 }, { kind: 'seq', seq: -1 }, { kind: 'seq', seq: 1.5 },
        { kind: 'seq', seq: 2 ** 40 },
      ] as const) assert.equal(await get(sel), null, JSON.stringify(sel))
      assert.equal(await get({ kind: 'seq', seq: 1 }, 'default', uniqueName()), null)
      assert.equal(await get({ kind: 'uuid', uuid: v1.version }, uniqueName('ws')), null)
      assert.equal(await get({ kind: 'latest' }, 'default', uniqueName()), null)
    })

    it('gets versions by id with their tags and answers null for unknown ids', async () => {
      const v = await create({ name: uniqueName() })
      await store.setTag(v.id, 'b')
      await store.setTag(v.id, 'a')
      assert.deepEqual((await store.getVersionById(v.id))?.tags, ['a', 'b'])
      assert.equal(await store.getVersionById(2 ** 31 + 7), null)
      assert.equal(await store.getVersionById(0), null)
      assert.equal(await store.getVersionById(-3), null)
    })

    it('lists versions in seq order with tags', async () => {
      const model = uniqueName()
      const vs = [await create({ name: model }), await create({ name: model }), await create({ name: model })]
      await store.setTag(vs[1]!.id, 'prod')
      const list = await store.listVersions('default', model)
      assert.deepEqual(list.map((v) => v.seq), [1, 2, 3])
      assert.deepEqual(list.map((v) => v.tags), [[], ['prod'], []])
      assert.deepEqual(await store.listVersions('default', uniqueName()), [])
    })

    it('summarises the models of one workspace', async () => {
      const ws = uniqueName('ws')
      await store.ensureWorkspace(ws)
      assert.deepEqual(await store.listModels(ws), [])
      const b = await create({ name: 'b-model', workspace: ws, framework: 'onnx' })
      const b2 = await create({ name: 'b-model', workspace: ws, framework: 'onnx', status: 'pending_conversion' })
      await create({ name: 'a-model', workspace: ws, framework: 'sklearn', status: 'error' })
      await create({ name: 'elsewhere' })
      await store.setTag(b.id, 'prod')
      await store.setTag(b2.id, 'canary')
      const models = await store.listModels(ws)
      assert.deepEqual(models.map((m) => m.name), ['a-model', 'b-model'])
      const [a, bm] = models
      assert.equal(a!.versions, 1)
      assert.equal(a!.latest_seq, null)
      assert.equal(a!.latest_version, null)
      assert.equal(a!.framework, 'sklearn')
      assert.deepEqual(a!.tags, [])
      assert.equal(bm!.versions, 2)
      assert.equal(bm!.latest_seq, 1)
      assert.equal(bm!.latest_version, b.version)
      assert.equal(bm!.framework, 'onnx')
      assert.equal(bm!.workspace, ws)
      assert.deepEqual(bm!.tags, ['canary', 'prod'])
      assert.match(bm!.created_at, ISO_UTC)
      assert.ok(bm!.last_update_time >= bm!.created_at)
    })

    it('knows which models exist', async () => {
      const model = uniqueName()
      assert.equal(await store.modelExists('default', model), false)
      const v = await create({ name: model })
      assert.equal(await store.modelExists('default', model), true)
      assert.equal(await store.modelExists(uniqueName('ws'), model), false)
      await store.deleteVersion(v.id)
      assert.equal(await store.modelExists('default', model), false)
      assert.equal((await store.listModels('default')).some((m) => m.name === model), false)
    })

    it('updates only the patched fields and stamps last_update_time', async () => {
      const v = await create({ name: uniqueName(), status: 'pending_conversion', description: 'old', metadata: { a: 1 } })
      const u = await store.updateVersion(v.id, { status: 'error', error_message: 'no runtime for xgboost' })
      assert.equal(u.status, 'error')
      assert.equal(u.error_message, 'no runtime for xgboost')
      assert.equal(u.description, 'old')
      assert.deepEqual(u.metadata, { a: 1 })
      assert.ok(u.last_update_time >= v.last_update_time)
      assert.equal(u.created_at, v.created_at)
      const schema: ModelSchema = [{ name: 'y', type: 'float64', nullable: false }]
      const w = await store.updateVersion(v.id, {
        description: null, metadata: { b: [true] }, config: { archive: true }, output_schema: schema, runtime: 'containerized',
      })
      assert.equal(w.description, null)
      assert.deepEqual(w.metadata, { b: [true] })
      assert.deepEqual(w.config, { archive: true })
      assert.deepEqual(w.output_schema, schema)
      assert.equal(w.runtime, 'containerized')
      assert.equal(w.error_message, 'no runtime for xgboost')
      assert.deepEqual(await store.getVersionById(v.id), w)
      const same = await store.updateVersion(v.id, {})
      assert.deepEqual({ ...same, last_update_time: w.last_update_time }, w)
    })

    it('refuses updates of unknown versions and of fields that cannot change', async () => {
      await assert.rejects(store.updateVersion(2 ** 31 + 9, { status: 'ready' }), assertCode('not_found'))
      const v = await create({ name: uniqueName() })
      await assert.rejects(store.updateVersion(v.id, { sha256: sha('x') } as never), (err: Error) => {
        assertCode('invalid_input')(err)
        assert.match(err.message, /sha256/)
        return true
      })
      assert.equal((await store.getVersionById(v.id))!.sha256, v.sha256)
    })

    it('deletes a version with its tags; only the newest seq is handed back', async () => {
      const model = uniqueName()
      const v1 = await create({ name: model })
      const v2 = await create({ name: model })
      await create({ name: model })
      await store.setTag(v2.id, 'prod')
      await store.deleteVersion(v2.id)
      assert.equal(await store.getVersionById(v2.id), null)
      assert.equal(await store.getVersion('default', model, { kind: 'tag', tag: 'prod' }), null)
      assert.equal(await store.removeTag('default', model, 'prod'), false)
      assert.deepEqual((await store.listModels('default')).find((m) => m.name === model)?.tags, [])
      await store.deleteVersion(v2.id)
      await store.deleteVersion(2 ** 31 + 11)
      const v4 = await create({ name: model })
      assert.equal(v4.seq, 4, 'an older deleted seq is never reused')
      await store.deleteVersion(v4.id)
      assert.equal((await create({ name: model })).seq, 4, 'a failed newest upload leaves the model as it was')
      assert.equal((await store.getVersionById(v1.id))?.seq, 1)
    })

    it('moves a tag atomically from one version to another', async () => {
      const model = uniqueName()
      const v1 = await create({ name: model })
      const v2 = await create({ name: model })
      const otherModel = await create({ name: uniqueName() })
      await store.setTag(v1.id, 'production')
      await store.setTag(otherModel.id, 'production')
      await store.setTag(v2.id, 'production')
      assert.deepEqual((await store.getVersionById(v1.id))!.tags, [])
      assert.deepEqual((await store.getVersionById(v2.id))!.tags, ['production'])
      assert.deepEqual((await store.getVersionById(otherModel.id))!.tags, ['production'])
      await store.setTag(v2.id, 'production')
      assert.deepEqual((await store.getVersionById(v2.id))!.tags, ['production'])
      await assert.rejects(store.setTag(2 ** 31 + 13, 'x'), assertCode('not_found'))
    })

    it('leaves a tag on exactly one version when many moves race', async () => {
      const model = uniqueName()
      const vs = await Promise.all(Array.from({ length: 6 }, () => create({ name: model })))
      await Promise.all(vs.map((v) => store.setTag(v.id, 'race')))
      const tagged = (await store.listVersions('default', model)).filter((v) => v.tags.includes('race'))
      assert.equal(tagged.length, 1)
    })

    it('removes tags and says whether there was one', async () => {
      const model = uniqueName()
      const v = await create({ name: model })
      await store.setTag(v.id, 'prod')
      assert.equal(await store.removeTag('default', model, 'prod'), true)
      assert.equal(await store.removeTag('default', model, 'prod'), false)
      assert.equal(await store.removeTag('default', uniqueName(), 'prod'), false)
      assert.deepEqual((await store.getVersionById(v.id))!.tags, [])
    })

    it('counts blob references from main artifacts and additional files', async () => {
      const main = sha(uniqueName('main'))
      const extra = sha(uniqueName('extra'))
      assert.equal(await store.blobReferences(main), 0)
      const a = await create({ name: uniqueName(), sha256: main })
      const b = await create({ name: uniqueName(), sha256: sha('other'), additional_files: { 'vocab.txt': main, 'x.bin': extra } })
      await create({ name: uniqueName(), sha256: extra, additional_files: { same: extra } })
      assert.equal(await store.blobReferences(main), 2)
      assert.equal(await store.blobReferences(extra), 2)
      await store.deleteVersion(a.id)
      assert.equal(await store.blobReferences(main), 1)
      await store.deleteVersion(b.id)
      assert.equal(await store.blobReferences(main), 0)
    })

    it('allocates distinct consecutive seqs to concurrent uploads of one name', async () => {
      const model = uniqueName()
      const fresh = uniqueName()
      const made = await Promise.all([
        ...Array.from({ length: 8 }, () => create({ name: model })),
        ...Array.from({ length: 4 }, () => create({ name: fresh })),
      ])
      assert.deepEqual(made.filter((v) => v.name === model).map((v) => v.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8])
      assert.deepEqual(made.filter((v) => v.name === fresh).map((v) => v.seq).sort((x, y) => x - y), [1, 2, 3, 4])
      assert.equal(new Set(made.map((v) => v.id)).size, made.length)
    })
  })
}
