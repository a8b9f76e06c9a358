import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { compareRuns, readBenchFile } from '../../bench/compare.js'

const figures = (name: string, rows: number, raw: number | null) => ({ name, rows_per_s: rows, p50_us: 1e6 / rows, ratio_to_raw: raw, ratio_to_competitor: null })

test('each scenario of the new run shows old and new rows/s, their change and the ratios old → new', () => {
  const lines = compareRuns(
    { scenarios: [figures('inproc-b1', 10_000, 1.5), figures('gone-b1', 5, null)] },
    { scenarios: [figures('inproc-b1', 20_000, 1.25), figures('added-b1', 7, null)] },
  )
  const inproc = lines.find((l) => l.startsWith('inproc-b1'))!
  assert.match(inproc, /10,000\s+20,000\s+2\.00×/)
  assert.match(inproc, /1\.50× → 1\.25×/)
  assert.match(lines.find((l) => l.startsWith('added-b1'))!, /\bnew\b/)
  assert.ok(lines.some((l) => l === 'only in the old run: gone-b1'))
})

test('a file that is not a bench --json file is refused naming what is missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-compare-'))
  try {
    writeFileSync(join(dir, 'a.json'), '{"results": []}')
    writeFileSync(join(dir, 'b.json'), '{"scenarios": [{"name": "x"}]}')
    await assert.rejects(readBenchFile(join(dir, 'a.json')), /no "scenarios" array/)
    await assert.rejects(readBenchFile(join(dir, 'b.json')), /scenarios\[0\] has no string "name" and number "rows_per_s"/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
