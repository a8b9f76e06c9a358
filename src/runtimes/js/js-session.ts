/** A `js` model run in this process: the module's `infer` gets the validated Arrow table. */
import * as arrow from 'apache-arrow'
import { toArrowSchema, type ModelSchema } from '../../data/schema.js'
import { errorMessage, isQuiverError, RuntimeFailure } from '../../errors.js'
import { answerTable } from '../answer-table.js'
import type { Session } from '../runtime.js'
import type { JsModel } from './js-module.js'

export class JsSession implements Session {
  #model: JsModel
  #label: string
  #closed = false

  #cleanup: () => Promise<void>

  constructor(model: JsModel, readonly inputSchema: ModelSchema, readonly outputSchema: ModelSchema, label: string, cleanup: () => Promise<void> = async () => {}) {
    this.#cleanup = cleanup
    this.#model = model
    this.#label = label
  }

  async infer(input: arrow.Table): Promise<arrow.Table> {
    if (this.#closed) throw new RuntimeFailure(`${this.#label} is closed`)
    if (input.numRows === 0) return new arrow.Table(toArrowSchema(this.outputSchema))
    const answer = await runInfer(this.#model, input, this.#label)
    return answerTable(answer, this.outputSchema, input.numRows, this.#label)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#model.close?.()
    } finally {
      await this.#cleanup()
    }
  }
}

/** Calls user code; whatever it throws comes back as RuntimeFailure with its message and the model. */
export async function runInfer(model: JsModel, input: arrow.Table, label: string): Promise<unknown> {
  try {
    return await model.infer(input)
  } catch (err) {
    if (isQuiverError(err)) throw err
    throw new RuntimeFailure(`${label} failed in infer(table): ${errorMessage(err)}`, { model: label })
  }
}
