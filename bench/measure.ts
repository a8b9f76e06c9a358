import type { Budget, Scenario } from './scenario.js'
import { wrkAvailable, wrkMeasure } from './wrk.js'

export const FULL_BUDGET: Budget = { warmup: 20, minIterations: 50, maxIterations: 200_000, timeMs: 3000 }
export const QUICK_BUDGET: Budget = { warmup: 5, minIterations: 10, maxIterations: 20_000, timeMs: 400 }

export interface Measurement {
  name: string
  iterations: number
  rows: number
  rows_per_s: number
  p50_us: number
  p99_us: number
}

/**
 * Runs warm-up iterations, then times each iteration with hrtime until both the time budget and
 * the minimum count are met. Throughput is rows per iteration over the median iteration time, so
 * a stall caused by another process on a shared machine moves p99, not rows/s.
 */
export async function measure(s: Scenario, quick: boolean): Promise<Measurement> {
  if (s.measureSelf) return s.measureSelf(quick)
  if (s.load && wrkAvailable()) {
    // A short warm-up (JIT, lazy loads in the server), then the measured run.
    await wrkMeasure(s.name, s.load(), 1)
    return wrkMeasure(s.name, s.load(), quick ? 2 : 5)
  }
  const b: Budget = quick ? { ...QUICK_BUDGET, ...s.budget?.quick } : { ...FULL_BUDGET, ...s.budget?.full }
  for (let i = 0; i < b.warmup; i++) await s.run()
  const times: number[] = []
  let rows = 0
  let totalNs = 0n
  const budgetNs = BigInt(Math.round(b.timeMs * 1e6))
  while (times.length < b.maxIterations && (times.length < b.minIterations || totalNs < budgetNs)) {
    const t0 = process.hrtime.bigint()
    rows += await s.run()
    const dt = process.hrtime.bigint() - t0
    totalNs += dt
    times.push(Number(dt) / 1000)
  }
  times.sort((x, y) => x - y)
  const p50 = percentile(times, 0.5)
  return {
    name: s.name,
    iterations: times.length,
    rows,
    rows_per_s: (rows / times.length) / (p50 / 1e6),
    p50_us: p50,
    p99_us: percentile(times, 0.99),
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}
