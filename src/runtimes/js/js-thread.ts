/**
 * A CPU-heavy `js` model (one that exports `cpuHeavy = true`) in its own worker thread, so that
 * its work never stalls the event loop. Runs are queued to the thread in order; a thread that dies
 * fails the runs it held and the next run starts a fresh one.
 */
import { Worker } from 'node:worker_threads'
import * as arrow from 'apache-arrow'
import { toArrowSchema, type ModelSchema } from '../../data/schema.js'
import { RuntimeFailure } from '../../errors.js'
import type { Session } from '../runtime.js'
import type { JsEntry } from './js-module.js'
import { JsModelError } from './js-module.js'

export interface JsThreadSetup {
  entry: JsEntry
  outputSchema: ModelSchema
  label: string
}

export type JsThreadRequest = { kind: 'infer'; id: number; ipc: Uint8Array } | { kind: 'close' }
export type JsThreadReply =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; ipc: Uint8Array }
  | { kind: 'error'; id: number; message: string }

const SOURCE_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const ENTRY = new URL(`./js-thread-worker${SOURCE_EXT}`, import.meta.url)

interface Pending {
  resolve(t: arrow.Table): void
  reject(e: Error): void
}

interface Thread {
  worker: Worker
  ready: Promise<void>
  pending: Map<number, Pending>
}

export class JsThreadSession implements Session {
  #setup: JsThreadSetup
  #thread: Thread | null = null
  #next = 1
  #closed = false

  #cleanup: () => Promise<void>

  constructor(setup: JsThreadSetup, readonly inputSchema: ModelSchema, readonly outputSchema: ModelSchema, cleanup: () => Promise<void> = async () => {}) {
    this.#cleanup = cleanup
    this.#setup = setup
  }

  /** Starts the thread and waits for the module to load (a bad module fails here, at upload). */
  async start(): Promise<void> {
    await this.#get().ready
  }

  async infer(input: arrow.Table): Promise<arrow.Table> {
    if (this.#closed) throw new RuntimeFailure(`${this.#setup.label} is closed`)
    if (input.numRows === 0) return new arrow.Table(toArrowSchema(this.outputSchema))
    const thread = this.#get()
    await thread.ready
    const id = this.#next++
    const ipc = arrow.tableToIPC(input, 'stream')
    const result = new Promise<arrow.Table>((resolve, reject) => thread.pending.set(id, { resolve, reject }))
    thread.worker.ref()
    thread.worker.postMessage({ kind: 'infer', id, ipc } satisfies JsThreadRequest, [ipc.buffer as ArrayBuffer])
    try {
      return await result
    } finally {
      if (thread.pending.size === 0) thread.worker.unref()
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const thread = this.#thread
    this.#thread = null
    if (!thread) return this.#cleanup()
    const exited = new Promise<void>((r) => thread.worker.once('exit', () => r()))
    thread.worker.postMessage({ kind: 'close' } satisfies JsThreadRequest)
    const timer = setTimeout(() => void thread.worker.terminate(), 5_000)
    await exited
    clearTimeout(timer)
    await this.#cleanup()
  }

  #get(): Thread {
    if (this.#thread) return this.#thread
    const worker = ENTRY.pathname.endsWith('.ts')
      ? new Worker(typeScriptBootstrap(ENTRY), { eval: true, workerData: this.#setup })
      : new Worker(ENTRY, { workerData: this.#setup })
    worker.unref()
    const thread: Thread = { worker, ready: Promise.resolve(), pending: new Map() }
    let failure: Error | undefined
    thread.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: JsThreadReply) => {
        if (m.kind === 'ready') return resolve()
        if (m.kind === 'failed') return reject((failure = new JsModelError(m.message)))
        const p = thread.pending.get(m.id)
        if (!p) return
        thread.pending.delete(m.id)
        if (m.kind === 'result') p.resolve(arrow.tableFromIPC(m.ipc))
        else p.reject(new RuntimeFailure(m.message, { model: this.#setup.label }))
      })
      worker.on('error', (err) => {
        failure ??= err
      })
      worker.on('exit', (code) => {
        if (this.#thread === thread) this.#thread = null
        const err = failure instanceof JsModelError ? failure
          : new RuntimeFailure(`${this.#setup.label} failed: its thread stopped (${failure?.message ?? `exit code ${code}`})`)
        reject(err)
        for (const p of thread.pending.values()) p.reject(err)
        thread.pending.clear()
      })
    })
    thread.ready.catch(() => {})
    this.#thread = thread
    return thread
  }
}

/** Node 20 does not carry loader hooks into worker threads: a TypeScript entry registers tsx first. */
function typeScriptBootstrap(entry: URL): string {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
}
