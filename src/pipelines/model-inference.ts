import type { Table } from 'apache-arrow'
import type { InferInput } from '../data/infer-input.js'
import { buildResultTable } from '../data/result-table.js'
import { readTable } from '../data/table-input.js'
import type { RuntimeKind } from '../registry/frameworks.js'
import type { Session } from '../runtimes/runtime.js'

/**
 * The single inference path for one loaded model: validate the input against the model's schema
 * (before anything runs), run it, shape SPEC §4's result table.
 */
export async function inferWithSession(session: Session, kind: RuntimeKind, input: InferInput): Promise<Table> {
  const time = new Date()
  // Native runtimes take dense tensors: nulls are refused; Python and JS steps see them.
  const table = await readTable(input, session.inputSchema, { nullsAllowed: kind !== 'native' })
  const output = await session.infer(table)
  return buildResultTable({ time, input: table, output })
}
