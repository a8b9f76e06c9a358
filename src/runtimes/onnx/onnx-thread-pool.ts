/**
 * Worker threads that run one ONNX model off the event loop. onnxruntime-node runs a model
 * synchronously on the calling thread, so a long run on the main thread would stall every other
 * request; here each thread owns its own onnxruntime session and the main thread only posts
 * inputs and wraps the transferred outputs.
 */
import { Worker } from 'node:worker_threads'
import type { InferenceSession } from 'onnxruntime-node'
import { RuntimeFailure } from '../../errors.js'
import type { NumericTensorData, TensorData, TensorElementType } from '../../data/tensor.js'

/** A tensor as it crosses between threads: a named flat array and its dims. */
export interface WireTensor {
  name: string
  type: TensorElementType
  data: TensorData
  dims: number[]
}

/** `workerData` of a thread. */
export interface ThreadSetup {
  modelPath: string
  sessionOptions: InferenceSession.SessionOptions
  /** One Int32 the pool sets to 1 when closing, so that a thread skips the runs still queued. */
  closing: SharedArrayBuffer
}

export type ThreadRequest =
  | { kind: 'run'; id: number; feeds: WireTensor[]; fetches: readonly string[] }
  | { kind: 'close' }

export type ThreadReply =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: WireTensor[] }
  | { kind: 'error'; id: number; message: string }

export interface OnnxThreadPoolOptions extends Omit<ThreadSetup, 'closing'> {
  /** The model name errors mention. */
  model: string
  /** Threads at most (default 1); they start on first use. */
  threads?: number
  /** The module a thread runs (default: onnx-thread-worker next to this file). */
  entry?: URL
}

/** An error onnxruntime raised in a thread, with its message as onnxruntime wrote it. */
export class OnnxThreadError extends Error {}

interface Pending {
  resolve(outputs: WireTensor[]): void
  reject(err: Error): void
}

interface Thread {
  worker: Worker
  closing: Int32Array
  exited: Promise<void>
  ready: Promise<void>
  pending: Map<number, Pending>
  /** Runs given to this thread and not yet settled, including those waiting for it to start. */
  load: number
  failure?: Error
  /** Set when the thread has exited: what its runs fail with. */
  gone?: RuntimeFailure
}

/** Bytes copied per event-loop turn when an input moves to a thread (about a millisecond's work). */
const COPY_STEP_BYTES = 4 << 20

const SOURCE_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const DEFAULT_ENTRY = new URL(`./onnx-thread-worker${SOURCE_EXT}`, import.meta.url)

/**
 * Up to `threads` worker threads for one model. A run goes to the least busy thread; a thread
 * that dies fails its in-flight runs with RuntimeFailure and the next run starts a fresh one.
 */
export class OnnxThreadPool {
  #opts: OnnxThreadPoolOptions
  #max: number
  #threads: Thread[] = []
  #nextId = 1
  #closed = false

  constructor(opts: OnnxThreadPoolOptions) {
    this.#opts = opts
    this.#max = Math.max(1, opts.threads ?? 1)
  }

  /** Live threads (started and not exited). */
  get threadCount(): number {
    return this.#threads.length
  }

  /**
   * Runs the model in a thread. Numeric inputs are copied into fresh buffers that move to the
   * thread, so the caller's Arrow buffers are never detached; outputs come back by transfer.
   * onnxruntime's own errors reject with OnnxThreadError, a dying thread with RuntimeFailure.
   */
  async run(feeds: readonly WireTensor[], fetches: readonly string[]): Promise<Record<string, WireTensor>> {
    if (this.#closed) throw this.#unloaded()
    const thread = this.#pick()
    // A thread with work holds the process open; an idle one does not.
    if (thread.load++ === 0) thread.worker.ref()
    try {
      await thread.ready
      if (this.#closed) throw this.#unloaded()
      const transfer: ArrayBuffer[] = []
      const copies: WireTensor[] = []
      for (const f of feeds) {
        if (Array.isArray(f.data)) {
          copies.push(f)
          continue
        }
        const data = await copyInSteps(f.data)
        transfer.push(data.buffer as ArrayBuffer)
        copies.push({ ...f, data })
      }
      if (this.#closed) throw this.#unloaded()
      if (thread.gone) throw thread.gone
      const id = this.#nextId++
      const outputs = await new Promise<WireTensor[]>((resolve, reject) => {
        thread.pending.set(id, { resolve, reject })
        thread.worker.postMessage({ kind: 'run', id, feeds: copies, fetches } satisfies ThreadRequest, transfer)
      })
      return Object.fromEntries(outputs.map((o) => [o.name, o]))
    } finally {
      if (--thread.load === 0 && Atomics.load(thread.closing, 0) === 0) thread.worker.unref()
    }
  }

  /**
   * Stops every thread. Runs not yet answered fail as unloaded at once; a thread in the middle of
   * a run stops when that run returns (resolving only then), since ending a thread inside
   * onnxruntime aborts the whole process.
   */
  async close(): Promise<void> {
    this.#closed = true
    const threads = this.#threads
    this.#threads = []
    for (const t of threads) this.#fail(t, this.#unloaded())
    await Promise.all(threads.map((t) => this.#stop(t)))
  }

  #stop(thread: Thread): Promise<void> {
    Atomics.store(thread.closing, 0, 1)
    // Whoever awaits the stop is kept waiting for it, not dropped by an empty event loop.
    thread.worker.ref()
    thread.worker.postMessage({ kind: 'close' } satisfies ThreadRequest)
    return thread.exited
  }

  #fail(thread: Thread, err: Error): void {
    for (const p of thread.pending.values()) p.reject(err)
    thread.pending.clear()
  }

  #pick(): Thread {
    let best: Thread | undefined
    for (const t of this.#threads) if (!best || t.load < best.load) best = t
    if (best && (best.load === 0 || this.#threads.length >= this.#max)) return best
    return this.#start()
  }

  #start(): Thread {
    const entry = this.#opts.entry ?? DEFAULT_ENTRY
    const closing = new SharedArrayBuffer(4)
    const setup: ThreadSetup = { modelPath: this.#opts.modelPath, sessionOptions: this.#opts.sessionOptions, closing }
    const worker = entry.pathname.endsWith('.ts')
      ? new Worker(typeScriptBootstrap(entry), { eval: true, workerData: setup })
      : new Worker(entry, { workerData: setup })
    worker.unref()
    const thread: Thread = {
      worker, closing: new Int32Array(closing), exited: new Promise((r) => worker.once('exit', () => r())),
      ready: Promise.resolve(), pending: new Map(), load: 0,
    }
    thread.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: ThreadReply) => {
        if (m.kind === 'ready') return resolve()
        if (m.kind === 'failed') {
          thread.failure = new RuntimeFailure(`model '${this.#opts.model}' could not be loaded in its onnxruntime thread: ${firstLine(m.message)}`)
          return reject(thread.failure)
        }
        const p = thread.pending.get(m.id)
        if (!p) return
        thread.pending.delete(m.id)
        if (m.kind === 'result') p.resolve(m.outputs)
        else p.reject(new OnnxThreadError(m.message))
      })
      worker.on('error', (err) => {
        thread.failure ??= err
      })
      worker.on('messageerror', (err) => {
        // An answer that cannot be read leaves its run unknown: retire the thread and its runs.
        thread.failure ??= err
        this.#threads = this.#threads.filter((t) => t !== thread)
        this.#fail(thread, this.#died(thread, 0))
        void this.#stop(thread)
      })
      worker.on('exit', (code) => {
        this.#threads = this.#threads.filter((t) => t !== thread)
        const err = this.#closed ? this.#unloaded() : this.#died(thread, code)
        thread.gone = err
        reject(err)
        this.#fail(thread, err)
      })
    })
    // A thread that never became ready is reported through the run that waits on it.
    thread.ready.catch(() => {})
    this.#threads.push(thread)
    return thread
  }

  #died(thread: Thread, code: number): RuntimeFailure {
    if (thread.failure instanceof RuntimeFailure) return thread.failure
    const why = thread.failure ? firstLine(thread.failure.message) : `exit code ${code}`
    return new RuntimeFailure(`model '${this.#opts.model}' failed: its onnxruntime thread stopped (${why})`, undefined, { cause: thread.failure })
  }

  #unloaded(): RuntimeFailure {
    return new RuntimeFailure(`model '${this.#opts.model}' was unloaded`)
  }
}

/**
 * A thread whose module is TypeScript source registers the TypeScript loader first: Node 20 does
 * not carry loader hooks into worker threads, not even with `--import` in their execArgv.
 */
function typeScriptBootstrap(entry: URL): string {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
}

/** A fresh copy of `data`, made a step at a time so that copying 100 MB never stalls the loop. */
async function copyInSteps<T extends NumericTensorData>(data: T): Promise<T> {
  if (data.byteLength <= COPY_STEP_BYTES) return data.slice() as T
  const copy = new (data.constructor as new (n: number) => T)(data.length)
  const step = COPY_STEP_BYTES / data.BYTES_PER_ELEMENT
  for (let at = 0; at < data.length; at += step) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve))
    copy.set(data.subarray(at, at + step) as never, at)
  }
  return copy
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim()
}
