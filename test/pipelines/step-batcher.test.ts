/** The per-step batching queue over real Arrow tables: coalescing, exact split, isolation of a failing request. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { StepBatcher, concatTables } from '../../src/pipelines/step-batcher.js'

const table = (...xs: number[]) => new arrow.Table({ x: arrow.vectorFromArray(Float64Array.from(xs)) })
const values = (t: arrow.Table) => [...t.getChild('x')!].map(Number)

/** A step that doubles x and refuses any batch holding a negative x; it records the batch sizes it saw. */
function doubler() {
  const seen: number[] = []
  let release: (() => void) | null = null
  const gate = { hold: false, opened: Promise.resolve() }
  const run = async (t: arrow.Table) => {
    seen.push(t.numRows)
    if (gate.hold) await gate.opened
    const xs = values(t)
    if (xs.some((x) => x < 0)) throw new Error(`negative x in a batch of ${t.numRows}`)
    return table(...xs.map((x) => 2 * x))
  }
  const holdNext = () => {
    gate.hold = true
    gate.opened = new Promise<void>((r) => (release = r))
  }
  const open = () => {
    gate.hold = false
    release?.()
  }
  return { run, seen, holdNext, open }
}

describe('step batcher', () => {
  it('runs a lone request at once and coalesces what queues while the step is busy, splitting results back exactly', async () => {
    const step = doubler()
    const b = new StepBatcher(step.run, { maxRows: 100, delayMs: 0, concurrency: 1 })
    step.holdNext()
    const first = b.run(table(1))
    const rest = [b.run(table(2, 3)), b.run(table(4)), b.run(table(5, 6, 7))]
    step.open()
    assert.deepEqual(values(await first), [2])
    assert.deepEqual(await Promise.all(rest.map(async (p) => values(await p))), [[4, 6], [8], [10, 12, 14]])
    assert.deepEqual(step.seen, [1, 6])
    assert.deepEqual(b.stats, { batches: 1, batchedRequests: 3 })
  })

  it('never puts more than maxRows rows in a batch (a larger request runs alone)', async () => {
    const step = doubler()
    const b = new StepBatcher(step.run, { maxRows: 3, delayMs: 0, concurrency: 1 })
    step.holdNext()
    const all = [b.run(table(0)), b.run(table(1, 1)), b.run(table(2)), b.run(table(3, 3, 3, 3)), b.run(table(4))]
    step.open()
    await Promise.all(all)
    assert.deepEqual(step.seen, [1, 3, 4, 1])
  })

  it('fails only the request with bad rows, never its neighbours in the batch', async () => {
    const step = doubler()
    const b = new StepBatcher(step.run, { maxRows: 100, delayMs: 0, concurrency: 1 })
    step.holdNext()
    const first = b.run(table(1))
    const good1 = b.run(table(2))
    const bad = b.run(table(3, -1))
    const good2 = b.run(table(4))
    step.open()
    await first
    assert.deepEqual(values(await good1), [4])
    assert.deepEqual(values(await good2), [8])
    await assert.rejects(bad, /negative x in a batch of 2/)
  })

  it('waits up to delayMs for a batch to fill, and no longer once it is full', async () => {
    const step = doubler()
    const b = new StepBatcher(step.run, { maxRows: 4, delayMs: 20, concurrency: 1 })
    const waited = [b.run(table(1)), b.run(table(2))]
    assert.deepEqual(await Promise.all(waited.map(async (p) => values(await p))), [[2], [4]])
    assert.deepEqual(step.seen, [2])
    const full = [b.run(table(1, 1)), b.run(table(2, 2))]
    await Promise.all(full)
    assert.deepEqual(step.seen, [2, 4])
  })

  it('joins tables of lists and strings into one contiguous batch', () => {
    const t = (rows: { s: string; l: number[] }[]) => new arrow.Table({
      s: arrow.vectorFromArray(rows.map((r) => r.s), new arrow.Utf8()),
      l: arrow.vectorFromArray(rows.map((r) => r.l), new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32()))),
    })
    const joined = concatTables([t([{ s: 'a', l: [1, 2] }]), t([{ s: 'bc', l: [3, 4] }, { s: '', l: [5, 6] }])])!
    assert.equal(joined.batches.length, 1)
    assert.deepEqual([...joined.getChild('s')!], ['a', 'bc', ''])
    assert.deepEqual([...joined.getChild('l')!].map((v) => [...v!]), [[1, 2], [3, 4], [5, 6]])
  })
})
