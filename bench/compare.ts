/**
 * `--compare OLD.json`: this run's figures beside an earlier run's (the `--json` file of either),
 * per scenario: rows/s old → new and its change, and the ratio to raw / to the competitor old → new.
 * A ratio to raw is "times slower than the floor", so a falling one is an improvement; the other
 * figures improve as they rise. The change column always reads "> 1.00× = better".
 */
import { readFile } from 'node:fs/promises'

export interface ComparedFigures {
  name: string
  rows_per_s: number
  p50_us: number
  ratio_to_raw: number | null
  ratio_to_competitor: number | null
}

export interface BenchFile {
  scenarios: ComparedFigures[]
}

export async function readBenchFile(path: string): Promise<BenchFile> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new Error(`--compare ${path}: cannot read it as a bench --json file (${err instanceof Error ? err.message : String(err)})`)
  }
  const scenarios = (parsed as { scenarios?: unknown })?.scenarios
  if (!Array.isArray(scenarios)) throw new Error(`--compare ${path}: expected {"scenarios": [...]} as written by --json, got no "scenarios" array`)
  for (const [i, s] of scenarios.entries()) {
    if (typeof s?.name !== 'string' || typeof s?.rows_per_s !== 'number') {
      throw new Error(`--compare ${path}: scenarios[${i}] has no string "name" and number "rows_per_s"`)
    }
  }
  return { scenarios: scenarios as ComparedFigures[] }
}

/** Lines of the comparison table: scenarios of the new run in its order, then those only in the old one. */
export function compareRuns(old: BenchFile, now: BenchFile): string[] {
  const before = new Map(old.scenarios.map((s) => [s.name, s]))
  const rows: string[][] = [['scenario', 'rows/s old', 'rows/s new', 'change', 'p50 µs old → new', 'to raw old → new', 'vs competitor old → new']]
  for (const s of now.scenarios) {
    const o = before.get(s.name)
    rows.push([
      s.name,
      o ? fmt(o.rows_per_s) : '-',
      fmt(s.rows_per_s),
      o && o.rows_per_s > 0 ? `${(s.rows_per_s / o.rows_per_s).toFixed(2)}×` : 'new',
      `${o ? fmt(o.p50_us) : '-'} → ${fmt(s.p50_us)}`,
      ratioPair(o?.ratio_to_raw, s.ratio_to_raw),
      ratioPair(o?.ratio_to_competitor, s.ratio_to_competitor),
    ])
  }
  const seen = new Set(now.scenarios.map((s) => s.name))
  const gone = old.scenarios.filter((s) => !seen.has(s.name)).map((s) => s.name)
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const lines = rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '))
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  if (gone.length > 0) lines.push(`only in the old run: ${gone.join(', ')}`)
  lines.push('change = new rows/s ÷ old rows/s (> 1.00× = faster); ratios are each run\'s own, against its own floor and competitor')
  return lines
}

function ratioPair(old: number | null | undefined, now: number | null | undefined): string {
  if (now === null || now === undefined) return old === null || old === undefined ? '-' : `${old.toFixed(2)}× → -`
  return `${old === null || old === undefined ? '-' : `${old.toFixed(2)}×`} → ${now.toFixed(2)}×`
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}
