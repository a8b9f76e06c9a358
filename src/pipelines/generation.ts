/**
 * One version of a deployed pipeline with its sessions loaded: what a request runs from start to
 * end. A hot swap builds the next generation beside this one and switches new requests to it;
 * this one finishes the requests it has (drains), then closes the sessions the next one does not
 * share.
 */
import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import { buildResultTable } from '../data/result-table.js'
import { readTable } from '../data/table-input.js'
import type { ModelSchema } from '../data/schema.js'
import type { PipelineRecord } from '../records/pipeline-record.js'
import type { VersionRecord } from '../records/version-record.js'
import type { Session } from '../runtimes/runtime.js'
import type { StepBatcher } from './step-batcher.js'
import { nextInput } from './step-chain.js'
import { evaluateValidations, type Validation } from './validations/validation.js'

/** A step's loaded sessions (replicas) behind its batcher; shared by generations that keep the version. */
export interface StepRunner {
  /** `version id/config` — equal keys can be shared across generations. */
  readonly key: string
  readonly batcher: StepBatcher
  readonly sessions: readonly Session[]
}

export interface LiveStep {
  ref: string
  map: Readonly<Record<string, string>>
  version: VersionRecord
  inputSchema: ModelSchema
  nullsPass: boolean
  runner: StepRunner
}

export class Generation {
  #inflight = 0
  #retired = false
  #drained: (() => void) | undefined
  readonly drained: Promise<void>

  constructor(
    readonly pipeline: PipelineRecord,
    readonly steps: readonly LiveStep[],
    readonly validations: readonly Validation[],
  ) {
    this.drained = new Promise((resolve) => (this.#drained = resolve))
  }

  /** `name#seq` of each step's version, for logs and answers. */
  get stepVersions(): string[] {
    return this.steps.map((s) => `${s.version.name}#${s.version.seq}`)
  }

  async run<T>(fn: (g: Generation) => Promise<T>): Promise<T> {
    this.#inflight++
    try {
      return await fn(this)
    } finally {
      if (--this.#inflight === 0 && this.#retired) this.#drained!()
    }
  }

  /** No new requests come here; `drained` settles once the last running one has finished. */
  retire(): void {
    this.#retired = true
    if (this.#inflight === 0) this.#drained!()
  }
}

export function runnerOf(step: LiveStep): (input: Table) => Promise<Table> {
  return (input) => step.runner.batcher.run(input)
}

/** Runs one request through every step of a generation and shapes the result. */
export async function runGeneration(g: Generation, input: InferInput, time: Date): Promise<Table> {
  const first = g.steps[0]!
  const table = await readTable(input, first.inputSchema, { nullsAllowed: first.nullsPass })
  let out = await first.runner.batcher.run(table)
  for (let i = 1; i < g.steps.length; i++) {
    const step = g.steps[i]!
    const next = await readTable({ kind: 'table', table: nextInput(out, step.map, step.inputSchema) }, step.inputSchema, { nullsAllowed: step.nullsPass })
    out = await step.runner.batcher.run(next)
  }
  const anomalies = evaluateValidations(g.validations, { in: table, out })
  return buildResultTable({ time, input: table, output: out, anomalies })
}
