/**
 * Worker threads that evaluate converted models on row ranges of one large batch, so a batch uses
 * every core. Each thread builds its own evaluator from the extracted model (once per model), reads
 * its rows from a SharedArrayBuffer the features are copied into once, and transfers its outputs
 * back; the calling thread evaluates the first range itself meanwhile. Every row is computed by
 * the same code as on the single-thread path, so the outputs are identical.
 *
 * One pool serves the process (`RowSplitPool.shared()`): `availableParallelism() - 1` threads,
 * started on first use and left unreferenced while idle so they never keep the process alive.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { RuntimeFailure } from '../../errors.js'
import type { ExtractedModel } from './build-native-model.js'
import type { NativeModel, NativeOutputs, OutputRole } from './native-model.js'

export type RowSplitRequest =
  | { kind: 'load'; key: number; spec: ExtractedModel }
  | { kind: 'drop'; key: number }
  | { kind: 'run'; id: number; key: number; x: Float64Array; rows: number; roles: OutputRole[]; float32Input: boolean }

export type RowSplitReply =
  | { kind: 'result'; id: number; out: NativeOutputs }
  | { kind: 'error'; id: number; message: string }

const SOURCE_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const ENTRY = new URL(`./row-split-worker${SOURCE_EXT}`, import.meta.url)
const OUTPUT_KEYS = ['classIndex', 'values', 'probabilities', 'scores'] as const
/** Shared input buffers kept for reuse (fresh ones cost a page fault per 4 KiB touched). */
const KEPT_BUFFERS = 2

interface Pending {
  resolve(out: NativeOutputs): void
  reject(err: Error): void
}

interface Thread {
  worker: Worker
  pending: Map<number, Pending>
  /** Models this thread has been sent. */
  loaded: Set<number>
}

/** A model the pool can run: its key in the threads, the spec they build it from, the local evaluator. */
export interface SplitModel {
  key: number
  spec: ExtractedModel
  model: NativeModel
}

let sharedPool: RowSplitPool | undefined
let nextKey = 1

export class RowSplitPool {
  readonly threads: number
  #running: (Thread | null)[]
  #nextId = 1
  #busy = 0
  #free: SharedArrayBuffer[] = []
  #closed = false

  constructor(threads: number) {
    this.threads = Math.max(0, Math.floor(threads))
    this.#running = Array.from({ length: this.threads }, () => null)
  }

  /** The process's pool: one thread per core beside the calling thread, or `QUIVER_CONVERT_THREADS` (0: none). */
  static shared(): RowSplitPool {
    const configured = process.env.QUIVER_CONVERT_THREADS
    sharedPool ??= new RowSplitPool(configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : availableParallelism() - 1)
    return sharedPool
  }

  static modelKey(): number {
    return nextKey++
  }

  /**
   * Evaluates `rows` rows of `x` (`model.nFeatures` per row) in `threads + 1` contiguous ranges,
   * the first on this thread; the outputs are laid out exactly as `model.run` on the whole batch.
   * `onLocalPart` receives how long this thread's own range took (ns) and its row count.
   */
  async run(m: SplitModel, x: Float64Array, rows: number, roles: ReadonlySet<OutputRole>, float32Input: boolean, onLocalPart?: (ns: number, rows: number) => void): Promise<NativeOutputs> {
    if (this.#closed) throw new RuntimeFailure('the row-split threads are closed')
    const n = m.model.nFeatures
    const parts = Math.min(this.threads + 1, rows)
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((rows * i) / parts))
    const localRows = bounds[1]!
    const remote = x.subarray(localRows * n, rows * n)
    const buffer = this.#take(remote.byteLength)
    const shared = new Float64Array(buffer, 0, remote.length)
    shared.set(remote)
    const roleList = [...roles]
    const waits: Promise<NativeOutputs>[] = []
    for (let p = 1; p < parts; p++) {
      const from = (bounds[p]! - localRows) * n
      const to = (bounds[p + 1]! - localRows) * n
      waits.push(this.#post(p - 1, m, { x: shared.subarray(from, to), rows: bounds[p + 1]! - bounds[p]!, roles: roleList, float32Input }))
    }
    try {
      const t0 = process.hrtime.bigint()
      const local = m.model.run(x.subarray(0, localRows * n), localRows, roles, float32Input)
      onLocalPart?.(Number(process.hrtime.bigint() - t0), localRows)
      const outs = [local, ...(await Promise.all(waits))]
      return mergeParts(outs, bounds)
    } finally {
      // Returned only once every thread has answered (or failed), so no one reads it after reuse.
      await Promise.allSettled(waits)
      this.#give(buffer)
    }
  }

  /** Forgets a model in the threads (a closed session). */
  drop(key: number): void {
    for (const t of this.#running) {
      if (!t?.loaded.delete(key)) continue
      t.worker.postMessage({ kind: 'drop', key } satisfies RowSplitRequest)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    const threads = this.#running.filter((t): t is Thread => t !== null)
    this.#running = this.#running.map(() => null)
    await Promise.all(threads.map((t) => t.worker.terminate()))
    if (sharedPool === this) sharedPool = undefined
  }

  #post(slot: number, m: SplitModel, job: Omit<Extract<RowSplitRequest, { kind: 'run' }>, 'kind' | 'id' | 'key'>): Promise<NativeOutputs> {
    const t = this.#running[slot] ?? this.#start(slot)
    if (!t.loaded.has(m.key)) {
      t.worker.postMessage({ kind: 'load', key: m.key, spec: m.spec } satisfies RowSplitRequest)
      t.loaded.add(m.key)
    }
    const id = this.#nextId++
    if (this.#busy++ === 0) for (const r of this.#running) r?.worker.ref()
    return new Promise<NativeOutputs>((resolve, reject) => {
      t.pending.set(id, { resolve, reject })
      t.worker.postMessage({ kind: 'run', id, key: m.key, ...job } satisfies RowSplitRequest)
    }).finally(() => {
      if (--this.#busy === 0) for (const r of this.#running) r?.worker.unref()
    })
  }

  #start(slot: number): Thread {
    const worker = ENTRY.pathname.endsWith('.ts')
      ? new Worker(typeScriptBootstrap(ENTRY), { eval: true })
      : new Worker(ENTRY)
    if (this.#busy === 0) worker.unref()
    const t: Thread = { worker, pending: new Map(), loaded: new Set() }
    let failure: Error | undefined
    worker.on('message', (r: RowSplitReply) => {
      const p = t.pending.get(r.id)
      if (!p) return
      t.pending.delete(r.id)
      if (r.kind === 'result') p.resolve(r.out)
      else p.reject(new RuntimeFailure(`a converted model failed in its row-split thread: ${r.message}`))
    })
    worker.on('error', (err) => {
      failure ??= err
    })
    worker.on('exit', (code) => {
      if (this.#running[slot] === t) this.#running[slot] = null
      const err = new RuntimeFailure(`a row-split thread of the converted runtime stopped (${failure?.message ?? `exit code ${code}`})`)
      for (const p of t.pending.values()) p.reject(err)
      t.pending.clear()
    })
    this.#running[slot] = t
    if (this.#busy > 0) worker.ref()
    return t
  }

  #take(bytes: number): SharedArrayBuffer {
    const i = this.#free.findIndex((b) => b.byteLength >= bytes)
    if (i >= 0) return this.#free.splice(i, 1)[0]!
    return new SharedArrayBuffer(Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1)))))
  }

  #give(buffer: SharedArrayBuffer): void {
    this.#free.push(buffer)
    if (this.#free.length > KEPT_BUFFERS) {
      this.#free.sort((a, b) => b.byteLength - a.byteLength)
      this.#free.length = KEPT_BUFFERS
    }
  }
}

/** The outputs of contiguous row ranges (`bounds[i]..bounds[i+1]`) as one batch's. */
function mergeParts(outs: NativeOutputs[], bounds: number[]): NativeOutputs {
  const rows = bounds[bounds.length - 1]!
  const merged: NativeOutputs = {}
  for (const key of OUTPUT_KEYS) {
    const first = outs[0]![key]
    if (!first) continue
    const width = first.length / bounds[1]!
    const all = new (first.constructor as new (n: number) => Float64Array | Int32Array)(rows * width)
    for (const [i, out] of outs.entries()) {
      const part = out[key]
      if (!part || part.length !== (bounds[i + 1]! - bounds[i]!) * width) throw new RuntimeFailure(`row-split part ${i} returned ${part?.length ?? 'no'} ${key} values, expected ${(bounds[i + 1]! - bounds[i]!) * width}`)
      all.set(part as never, bounds[i]! * width)
    }
    merged[key] = all as never
  }
  return merged
}

/** Node 20 does not carry loader hooks into worker threads: a TypeScript entry registers tsx first. */
function typeScriptBootstrap(entry: URL): string {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
}
