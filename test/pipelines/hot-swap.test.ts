/**
 * Hot swap under constant load: while 8 clients keep a deployed pipeline busy, its tag is moved
 * back and forth and its step swapped. No request fails, and each response comes wholly from one
 * version of the step (score = k·Σx with one k for all its rows).
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

describe('hot swap under load', () => {
  let home: string
  let api: LocalQuiverApi
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-hot-swap-'))
    api = await createLocalQuiver({ home, databaseUrl: '' })
    await uploadChainModels(api, home)
    await api.pipelines.create('live', [{ ref: 'scale@prod' }, { ref: 'total' }])
    await api.pipelines.deploy('live', { replicas: 2, batchMaxRows: 64 })
  })
  after(async () => {
    await api?.close()
    await rm(home, { recursive: true, force: true })
  })

  it('switches versions with zero failed requests, each response from one version', async () => {
    const failures: string[] = []
    const mixed: string[] = []
    const seen = new Map<number, number>()
    let stop = false
    let answered = 0
    const client = async (id: number) => {
      for (let i = 0; !stop; i++) {
        const xs = [[id, 1, 1], [i % 5, 2, 0], [1, 1, 1]]
        try {
          const result = await api.pipelines.infer('live', rows(...xs))
          const ks = (columnValues(result, 'out.score') as number[][]).map((s, r) => s[0]! / xs[r]!.reduce((a, b) => a + b, 0))
          if (new Set(ks).size !== 1) mixed.push(`client ${id} request ${i}: k = ${ks.join(', ')}`)
          seen.set(ks[0]!, (seen.get(ks[0]!) ?? 0) + 1)
          answered++
        } catch (err) {
          failures.push(`client ${id} request ${i}: ${(err as Error).message}`)
        }
      }
    }
    const clients = Array.from({ length: 8 }, (_, id) => client(id + 1))
    const answeredBy = async (k: number) => {
      // The swap is done when it returns; wait for responses from the new version to show it serving.
      const before = seen.get(k) ?? 0
      while ((seen.get(k) ?? 0) < before + 8 && failures.length === 0) await new Promise((r) => setImmediate(r))
    }
    try {
      for (let round = 0; round < 2; round++) {
        await api.tag('scale#2', 'prod')
        await answeredBy(3)
        await api.tag('scale#1', 'prod')
        await answeredBy(2)
        await api.pipelines.swapStep('live', 0, 'scale#2')
        await answeredBy(3)
        await api.pipelines.swapStep('live', 0, 'scale@prod')
        await answeredBy(2)
      }
    } finally {
      stop = true
      await Promise.all(clients)
    }
    assert.deepEqual(failures, [])
    assert.deepEqual(mixed, [])
    assert.deepEqual([...seen.keys()].sort(), [2, 3])
    assert.ok(answered > 0)
    console.log(`# ${answered} requests answered across 8 swaps: k=2 ${seen.get(2)}, k=3 ${seen.get(3)}`)
  })
})
