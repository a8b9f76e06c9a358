import { InvalidInput, RuntimeFailure, Unsupported } from '../../errors.js'
import type { QuiverError } from '../../errors.js'
import type { BodyBuilder, Frame, ReplyHeader, RequestHeader, WireError } from './messages.js'
import { PythonWorker } from './python-worker.js'
import type { WorkerSandbox } from './python-worker.js'

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
export const DEFAULT_LOAD_TIMEOUT_MS = 300_000

export interface WorkerPoolOptions {
  /** Interpreter to run (`findPython().command`). */
  python: string
  /** Names the model in errors: `python worker exited with code 137 while running <label>`. */
  label: string
  /** The load request, sent to every worker when it starts and again after every restart. */
  load: Omit<RequestHeader, 'id'>
  /** Worker processes (default 1); requests go round-robin. */
  size?: number
  /** Per request; a worker that does not answer in time is killed and restarted. */
  timeoutMs?: number
  loadTimeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Run every worker inside bwrap (see sandbox.ts). */
  sandbox?: WorkerSandbox
}

interface Slot {
  worker: PythonWorker | null
  ready: Promise<PythonWorker>
  /** Requests on one worker run one after another; this is the end of that queue. */
  tail: Promise<unknown>
}

/**
 * The worker processes serving one loaded model version. A worker that exits or hangs fails
 * only the request it was running; it is restarted and the model reloaded before it takes the
 * next one. Workers die with the pool (close) and with this process.
 */
export class WorkerPool {
  readonly #opts: Required<Omit<WorkerPoolOptions, 'env' | 'sandbox'>> & Pick<WorkerPoolOptions, 'env' | 'sandbox'>
  readonly #slots: Slot[] = []
  #next = 0
  #closed = false

  private constructor(opts: WorkerPoolOptions) {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#opts = {
      ...opts,
      size: Math.max(1, Math.floor(opts.size ?? 1)),
      timeoutMs,
      loadTimeoutMs: opts.loadTimeoutMs ?? Math.max(timeoutMs, DEFAULT_LOAD_TIMEOUT_MS),
    }
  }

  /** Starts every worker and loads the model on each; returns the pool and the load warnings. */
  static async start(opts: WorkerPoolOptions): Promise<{ pool: WorkerPool; warnings: string[] }> {
    const pool = new WorkerPool(opts)
    let warnings: string[] = []
    const starts = Array.from({ length: pool.#opts.size }, () => {
      const slot: Slot = { worker: null, ready: Promise.resolve(null as never), tail: Promise.resolve() }
      slot.ready = pool.#spawn(slot, (w) => (warnings = w))
      pool.#slots.push(slot)
      return slot.ready
    })
    const results = await Promise.allSettled(starts)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) {
      await pool.close()
      throw failed.reason
    }
    return { pool, warnings }
  }

  /** Process ids of the running workers (for tests and diagnostics). */
  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.worker?.alive ? [s.worker.pid] : []))
  }

  /** Sends a request to the next worker in turn; resolves with the reply frame (`ok` checked). */
  request(header: Omit<RequestHeader, 'id'>, body: BodyBuilder | null): Promise<Frame<ReplyHeader>> {
    if (this.#closed) return Promise.reject(new RuntimeFailure(`${this.#opts.label} is closed`))
    const slot = this.#slots[this.#next++ % this.#slots.length]!
    const run = async (): Promise<Frame<ReplyHeader>> => {
      let worker = await slot.ready.catch(() => null)
      if (!worker?.alive) {
        // The last restart failed (or the worker died between requests): try once more now.
        slot.ready = this.#spawn(slot)
        worker = await slot.ready
      }
      const reply = await worker.request(header, body, this.#opts.timeoutMs)
      if (!reply.header.ok) throw replyError(reply.header.error, this.#opts.label)
      return reply
    }
    const result = slot.tail.then(run, run)
    slot.tail = result.catch(() => {})
    return result
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#slots.map(async (s) => {
      const w = await s.ready.catch(() => null)
      await w?.close()
      await s.worker?.close()
    }))
  }

  async #spawn(slot: Slot, onWarnings?: (w: string[]) => void): Promise<PythonWorker> {
    const { python, label, load, loadTimeoutMs, env, sandbox } = this.#opts
    const worker = new PythonWorker(python, label, env, sandbox)
    slot.worker = worker
    let reply: Frame<ReplyHeader>
    try {
      reply = await worker.request(load, null, loadTimeoutMs)
    } catch (err) {
      worker.kill()
      throw err
    }
    if (!reply.header.ok) {
      await worker.close()
      throw replyError(reply.header.error, label)
    }
    onWarnings?.(reply.header.warnings ?? [])
    void worker.exited.then(() => {
      if (this.#closed || slot.worker !== worker) return
      slot.worker = null
      slot.ready = this.#spawn(slot)
      slot.ready.catch(() => {})
    })
    return worker
  }
}

/** A worker-side exception as a Quiver error; the user's own message text is kept whole. */
export function replyError(err: WireError | undefined, label: string): QuiverError {
  if (!err) return new RuntimeFailure(`python worker answered for ${label} with an error but no details`)
  const details = { type: err.type, traceback: err.traceback, ...(err.field ? { field: err.field } : {}) }
  if (err.code === 'invalid_input') return new InvalidInput(`${label}: ${err.message}`, details)
  if (err.code === 'unsupported') return new Unsupported(`${label}: ${err.message}`, details)
  if (err.type.startsWith('quiver_wire.')) return new RuntimeFailure(`${label}: ${err.message}`, details)
  return new RuntimeFailure(`${label} raised ${err.type}: ${err.message}`, details)
}
