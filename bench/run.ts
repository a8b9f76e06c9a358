/**
 * Benchmark suite: `npm run bench [-- --quick] [--json FILE] [--only a,b] [--compare OLD.json]`.
 * Every module in bench/scenarios/ contributes the Scenario objects it exports; all run in this one
 * process, one after another. Ratio to raw = raw rows/s ÷ scenario rows/s (1.0 = as fast as bare
 * onnxruntime on the same batch).
 */
import { readdir, writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { compareRuns, readBenchFile } from './compare.js'
import { measure } from './measure.js'
import type { Measurement } from './measure.js'
import { isScenario } from './scenario.js'
import type { Scenario } from './scenario.js'

const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url))

export interface BenchResult {
  name: string
  rows_per_s: number
  p50_us: number
  p99_us: number
  ratio_to_raw: number | null
  /** rows/s ÷ the competitor's rows/s (2.00× = twice as many rows per second). */
  ratio_to_competitor: number | null
}

async function loadScenarios(): Promise<Scenario[]> {
  const files = (await readdir(SCENARIO_DIR)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort()
  const all: Scenario[] = []
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(SCENARIO_DIR, file)).href)) as Record<string, unknown>
    for (const value of Object.values(mod)) {
      for (const s of Array.isArray(value) ? value : [value]) if (isScenario(s)) all.push(s)
    }
  }
  // Raw baselines first, so the machine is measured the same way before the paths built on it.
  return all.sort((a, b) => Number(Boolean(a.rawBaseline)) - Number(Boolean(b.rawBaseline)))
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, only: { type: 'string' }, compare: { type: 'string' } },
  })
  // Read before measuring, so a wrong path fails at once rather than after the run.
  const previous = values.compare ? await readBenchFile(values.compare) : undefined
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean)) : null
  let scenarios = await loadScenarios()
  if (only) {
    const unknown = [...only].filter((n) => !scenarios.some((s) => s.name === n))
    if (unknown.length > 0) {
      console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`)
      process.exit(2)
    }
    scenarios = scenarios.filter((s) => only.has(s.name))
  }

  const measured = new Map<string, Measurement>()
  const skipped: { name: string; reason: string }[] = []
  for (const s of scenarios) {
    process.stderr.write(`${s.name}: `)
    try {
      await s.setup()
    } catch (err) {
      const reason = firstLine(err)
      skipped.push({ name: s.name, reason })
      process.stderr.write(`skipped (${reason})\n`)
      await s.teardown().catch(() => {})
      continue
    }
    try {
      const m = await measure(s, values.quick)
      measured.set(s.name, m)
      process.stderr.write(`${m.iterations} iterations\n`)
    } catch (err) {
      skipped.push({ name: s.name, reason: `failed: ${firstLine(err)}` })
      process.stderr.write(`failed (${firstLine(err)})\n`)
    } finally {
      await s.teardown().catch((err: unknown) => process.stderr.write(`  teardown of ${s.name} failed: ${firstLine(err)}\n`))
    }
  }

  const results: BenchResult[] = scenarios.flatMap((s) => {
    const m = measured.get(s.name)
    if (!m) return []
    const raw = s.rawBaseline ? measured.get(s.rawBaseline) : undefined
    const competitor = s.competitor ? measured.get(s.competitor) : undefined
    return [{
      name: s.name,
      rows_per_s: round(m.rows_per_s, 1),
      p50_us: round(m.p50_us, 1),
      p99_us: round(m.p99_us, 1),
      ratio_to_raw: raw ? round(raw.rows_per_s / m.rows_per_s, 2) : null,
      ratio_to_competitor: competitor ? round(m.rows_per_s / competitor.rows_per_s, 2) : null,
    }]
  })
  printTable(results, skipped)
  for (const s of scenarios) for (const line of (measured.has(s.name) ? s.notes?.() : undefined) ?? []) console.log(`${s.name}: ${line}`)
  if (previous) {
    console.log(`\ncompared with ${values.compare}:`)
    // Only the scenarios selected for this run (--only), so the rest of the old file is not reported as gone.
    const selected = new Set(scenarios.map((s) => s.name))
    const old = { scenarios: previous.scenarios.filter((s) => selected.has(s.name)) }
    for (const line of compareRuns(old, { scenarios: results })) console.log(line)
  }
  if (values.json) {
    await writeFile(values.json, JSON.stringify({ scenarios: results, skipped }, null, 2) + '\n')
    console.log(`\nwrote ${values.json}`)
  }
}

function printTable(results: BenchResult[], skipped: { name: string; reason: string }[]): void {
  const rows = [
    ['scenario', 'rows/s', 'p50 µs', 'p99 µs', 'ratio to raw', 'vs competitor'],
    ...results.map((r) => [
      r.name, fmt(r.rows_per_s), fmt(r.p50_us), fmt(r.p99_us), r.ratio_to_raw === null ? '-' : `${r.ratio_to_raw.toFixed(2)}×`,
      r.ratio_to_competitor === null ? '-' : `${r.ratio_to_competitor.toFixed(2)}×`,
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '))
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
  for (const s of skipped) console.log(`skipped ${s.name}: ${s.reason}`)
  if (results.some((r) => r.ratio_to_raw !== null)) console.log('ratio to raw = raw rows/s ÷ scenario rows/s (1.00× = as fast as the floor: bare onnxruntime, or a bare node:http server for HTTP)')
  if (results.some((r) => r.ratio_to_competitor !== null)) console.log('vs competitor = scenario rows/s ÷ the competitor\'s rows/s on the same model (HTTP: FastAPI + uvicorn + scikit-learn; convert-*: the library called directly in Python)')
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!
}

await main()
