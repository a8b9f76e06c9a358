/**
 * Dynamic batching for one pipeline step, as Triton's `max_queue_delay` and MLServer's adaptive
 * batching: requests that arrive while the step's runners are busy (or within `delayMs` of the
 * first waiting one) run together, up to `maxRows` rows, and each caller gets back exactly its own
 * rows. A batch that fails is run again request by request, so one request's bad rows never fail
 * its neighbours.
 */
import * as arrow from 'apache-arrow'
import { concatData } from '../data/arrow-concat.js'
import { columnChunks } from '../data/arrow-fast.js'

export type RunTable = (input: arrow.Table) => Promise<arrow.Table>

interface Waiting {
  table: arrow.Table
  resolve: (t: arrow.Table) => void
  reject: (err: unknown) => void
}

export interface BatcherOptions {
  maxRows: number
  delayMs: number
  /** Runs in flight at once (the step's replicas). */
  concurrency: number
}

export class StepBatcher {
  readonly #run: RunTable
  readonly #opts: BatcherOptions
  readonly #queue: Waiting[] = []
  #queuedRows = 0
  #active = 0
  #timer: NodeJS.Timeout | undefined
  /** The delay of the oldest waiting request has passed. */
  #due = false
  #batches = 0
  #batchedRequests = 0

  constructor(run: RunTable, opts: BatcherOptions) {
    this.#run = run
    this.#opts = opts
  }

  /** Requests that ran in a batch of more than one, and how many such batches ran. */
  get stats(): { batches: number; batchedRequests: number } {
    return { batches: this.#batches, batchedRequests: this.#batchedRequests }
  }

  run(table: arrow.Table): Promise<arrow.Table> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ table, resolve, reject })
      this.#queuedRows += table.numRows
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#active < this.#opts.concurrency) {
      if (this.#opts.delayMs > 0 && this.#queuedRows < this.#opts.maxRows && !this.#due) {
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined
          this.#due = true
          this.#pump()
        }, this.#opts.delayMs)
        return
      }
      this.#due = false
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#dispatch(this.#take())
    }
  }

  #take(): Waiting[] {
    const batch: Waiting[] = [this.#queue.shift()!]
    let rows = batch[0]!.table.numRows
    while (this.#queue.length > 0 && rows + this.#queue[0]!.table.numRows <= this.#opts.maxRows) {
      const next = this.#queue.shift()!
      rows += next.table.numRows
      batch.push(next)
    }
    this.#queuedRows -= rows
    return batch
  }

  #dispatch(batch: Waiting[]): void {
    this.#active++
    void this.#runBatch(batch).finally(() => {
      this.#active--
      this.#pump()
    })
  }

  async #runBatch(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.#runOne(batch[0]!)
    const joined = concatTables(batch.map((w) => w.table))
    if (!joined) {
      await Promise.all(batch.map((w) => this.#runOne(w)))
      return
    }
    let out: arrow.Table
    try {
      out = await this.#run(joined)
      if (out.numRows !== joined.numRows) throw new Error('row count changed')
    } catch {
      // Find the request at fault: each runs alone and only its own failure reaches it.
      for (const w of batch) await this.#runOne(w)
      return
    }
    this.#batches++
    this.#batchedRequests += batch.length
    let offset = 0
    for (const w of batch) {
      w.resolve(out.slice(offset, offset + w.table.numRows))
      offset += w.table.numRows
    }
  }

  async #runOne(w: Waiting): Promise<void> {
    try {
      w.resolve(await this.#run(w.table))
    } catch (err) {
      w.reject(err)
    }
  }
}

/** One contiguous record batch of tables sharing a schema; null when a column type cannot be joined. */
export function concatTables(tables: readonly arrow.Table[]): arrow.Table | null {
  const schema = tables[0]!.schema
  const rows = tables.reduce((n, t) => n + t.numRows, 0)
  const children: arrow.Data[] = []
  for (let k = 0; k < schema.fields.length; k++) {
    const chunks = tables.flatMap((t) => columnChunks(t, k))
    const joined = concatData(schema.fields[k]!.type, chunks)
    if (!joined) return null
    children.push(joined)
  }
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children })
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)])
}
