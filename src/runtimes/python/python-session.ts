import * as arrow from 'apache-arrow'
import type { Table } from 'apache-arrow'
import { RuntimeFailure } from '../../errors.js'
import { toArrowSchema } from '../../data/schema.js'
import type { ModelSchema } from '../../data/schema.js'
import type { InferOptions, Session } from '../runtime.js'
import { decodeColumns, encodeColumns } from './column-codec.js'
import { BodyBuilder } from './messages.js'
import type { WorkerPool } from './worker-pool.js'

/** A model loaded into a pool of Python workers. */
export class PythonSession implements Session {
  readonly inputSchema: ModelSchema
  readonly outputSchema: ModelSchema
  readonly #pool: WorkerPool
  readonly #label: string
  readonly #onClose: () => void
  #closed = false

  constructor(pool: WorkerPool, inputSchema: ModelSchema, outputSchema: ModelSchema, label: string, onClose: () => void) {
    this.#pool = pool
    this.inputSchema = inputSchema
    this.outputSchema = outputSchema
    this.#label = label
    this.#onClose = onClose
  }

  /** Process ids of this session's workers. */
  get workerPids(): number[] {
    return this.#pool.pids
  }

  async infer(input: Table, opts?: InferOptions): Promise<Table> {
    if (this.#closed) throw new RuntimeFailure(`${this.#label} is closed`)
    opts?.signal?.throwIfAborted()
    const rows = input.numRows
    if (rows === 0) return new arrow.Table(toArrowSchema(this.outputSchema))
    const body = new BodyBuilder()
    const columns = encodeColumns(input, this.inputSchema, body)
    const pending = this.#pool.request({ kind: 'infer', model: this.#label, rows, columns }, body)
    const reply = await (opts?.signal ? abortable(pending, opts.signal) : pending)
    if (reply.header.rows !== rows) {
      throw new RuntimeFailure(`${this.#label} returned ${reply.header.rows} rows for ${rows} input rows`)
    }
    return decodeColumns(reply.header.columns ?? [], reply.body, this.outputSchema, rows, this.#label)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#onClose()
    await this.#pool.close()
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
