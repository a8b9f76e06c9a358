/**
 * A deployment follows a tag moved by another process sharing the database (here a second core
 * over the same metadata store, as a second replica on PostgreSQL would be).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LocalQuiverApi } from '../../src/api/local-api.js'
import { openArtifactStore } from '../../src/artifacts/open-artifacts.js'
import { openMetadataStore } from '../../src/store/open-store.js'
import type { MetadataStore } from '../../src/store/store.js'
import { columnValues } from '../helpers/arrow-values.js'
import { rows, uploadChainModels } from './pipeline-models.js'

describe('tags moved elsewhere', () => {
  let home: string
  let store: MetadataStore
  let serving: LocalQuiverApi
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-follow-'))
    store = await openMetadataStore({ home })
    serving = new LocalQuiverApi({ store, artifacts: openArtifactStore({ home }), followMs: 50 })
    await uploadChainModels(serving, home)
    await serving.pipelines.create('follow', [{ ref: 'scale@prod' }])
    await serving.pipelines.deploy('follow')
  })
  after(async () => {
    await serving?.close()
    await rm(home, { recursive: true, force: true })
  })

  it('switches to the version the tag names now', async () => {
    const k = async () => (columnValues(await serving.pipelines.infer('follow', rows([1, 1, 1])), 'out.y')[0] as number[])[0]
    assert.equal(await k(), 2)
    const other = new LocalQuiverApi({ store, artifacts: openArtifactStore({ home }) })
    await other.tag('scale#2', 'prod')
    while ((await k()) !== 3) await new Promise((r) => setTimeout(r, 20))
    assert.equal(await k(), 3)
  })
})
