/**
 * One benchmark case. `run()` does one unit of work and returns how many rows it processed;
 * `setup()` may throw to skip the case (the reason is printed). A case with `rawBaseline` is
 * reported as a ratio against that (bare onnxruntime) case.
 */
export interface Scenario {
  readonly name: string
  /** Name of the raw scenario this one is compared with. */
  readonly rawBaseline?: string
  /** Name of the scenario where the tool a user would otherwise pick does the same work; reported as this one's rows/s ÷ its rows/s. */
  readonly competitor?: string
  /** Overrides of the measuring budget per mode, e.g. few iterations for whole-process runs. */
  readonly budget?: { full?: Partial<Budget>; quick?: Partial<Budget> }
  /**
   * An HTTP scenario under an external load generator: measured by its load (wrk) rather than by
   * timing `run()`; `run()` stays the fallback when the generator is missing.
   */
  readonly load?: () => import('./wrk.js').WrkLoad
  /** Measures itself (an open-loop load at a fixed rate, say) instead of timing `run()`. */
  readonly measureSelf?: (quick: boolean) => Promise<import('./measure.js').Measurement>
  /** Lines printed under the table after the run (peak RSS measured beside its floor, and the like). */
  notes?(): string[]
  setup(): Promise<void>
  run(): Promise<number>
  teardown(): Promise<void>
}

export interface Budget {
  /** Untimed iterations first (JIT, caches, lazy loads). */
  warmup: number
  minIterations: number
  maxIterations: number
  /** Keep iterating until this much time was measured (and minIterations reached). */
  timeMs: number
}

export function isScenario(x: unknown): x is Scenario {
  if (typeof x !== 'object' || x === null) return false
  const s = x as Record<string, unknown>
  return typeof s.name === 'string' && typeof s.run === 'function' && typeof s.setup === 'function' && typeof s.teardown === 'function'
}
