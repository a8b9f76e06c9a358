import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import { buildResultTable } from '../data/result-table.js'
import { readTable } from '../data/table-input.js'
import type { Session } from '../runtimes/runtime.js'

/**
 * One loaded model on one input: validate against the model's schema (once, before anything
 * runs), run it, shape SPEC §4's result table. `nullsPass` comes from the framework's row in the
 * runtime table.
 */
export async function inferWithSession(session: Session, nullsPass: boolean, input: InferInput): Promise<Table> {
  const time = new Date()
  const table = await readTable(input, session.inputSchema, { nullsAllowed: nullsPass })
  const output = await session.infer(table)
  return buildResultTable({ time, input: table, output })
}
