import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { errorMessage } from '../errors.js'
import type { JobQueue, JobRecord } from './job-queue.js'

export interface JobContext {
  /** Aborted when the job is cancelled, its lease is lost, or the worker stops. */
  signal: AbortSignal
  /** Records progress (0..1) and a message; sent with the next lease renewal. */
  progress(fraction: number, message?: string): void
}

export type JobHandler = (job: JobRecord, ctx: JobContext) => Promise<unknown>

export interface JobWorkerOptions {
  queue: JobQueue
  handlers: Record<string, JobHandler>
  /** Names this worker in the jobs it holds (default host:pid:random). */
  id?: string
  /** Lease length; renewed every third of it (default 30 s). A dead worker's job is retaken after it. */
  leaseMs?: number
  /** Wait between looks at an empty queue (default 500 ms). */
  pollMs?: number
  /** Jobs run at once (default 1). */
  concurrency?: number
  onError?: (err: unknown) => void
}

/**
 * Takes jobs of the kinds it has handlers for and runs them: renews their lease with progress,
 * stops a job whose cancellation was asked for, records success or failure (retried while
 * attempts remain), and sweeps jobs whose worker died so that another worker takes them.
 */
export class JobWorker {
  readonly id: string
  readonly #opts: Required<Omit<JobWorkerOptions, 'id' | 'onError'>> & Pick<JobWorkerOptions, 'onError'>
  readonly #running = new Map<number, { abort: AbortController; done: Promise<void> }>()
  #stopped = false
  #loop: Promise<void> | null = null
  #wake: (() => void) | null = null

  constructor(opts: JobWorkerOptions) {
    this.id = opts.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.#opts = { leaseMs: 30_000, pollMs: 500, concurrency: 1, ...opts }
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  async #run(): Promise<void> {
    let lastSweep = 0
    const kinds = Object.keys(this.#opts.handlers)
    while (!this.#stopped) {
      try {
        if (performance.now() - lastSweep > this.#opts.leaseMs / 2) {
          lastSweep = performance.now()
          await this.#opts.queue.sweepDead()
        }
        if (this.#running.size < this.#opts.concurrency) {
          const job = await this.#opts.queue.claim(this.id, kinds, this.#opts.leaseMs)
          if (job) {
            this.#start(job)
            continue
          }
        }
      } catch (err) {
        // The database is away: keep trying, the jobs wait in it.
        this.#opts.onError?.(err)
      }
      await new Promise<void>((r) => {
        this.#wake = r
        setTimeout(r, this.#opts.pollMs).unref()
      })
    }
  }

  #start(job: JobRecord): void {
    const abort = new AbortController()
    let pending: { fraction?: number; message?: string } = {}
    const { queue, leaseMs } = this.#opts
    const renew = setInterval(() => {
      const sent = pending
      pending = {}
      queue.heartbeat(job.id, this.id, leaseMs, sent).then((hb) => {
        if (hb.lost || hb.cancelRequested) abort.abort(hb.lost ? 'lease lost' : 'cancelled')
      }, (err) => this.#opts.onError?.(err))
    }, Math.max(10, leaseMs / 3))
    const ctx: JobContext = { signal: abort.signal, progress: (fraction, message) => { pending = { fraction, message } } }
    const handler = this.#opts.handlers[job.kind]!
    const done = (async () => {
      try {
        const result = await handler(job, ctx)
        clearInterval(renew)
        if (abort.signal.reason === 'cancelled') await queue.markCancelled(job.id, this.id)
        else if (abort.signal.reason !== 'lease lost') await queue.complete(job.id, this.id, result)
      } catch (err) {
        clearInterval(renew)
        if (abort.signal.reason === 'cancelled') await queue.markCancelled(job.id, this.id)
        else if (abort.signal.reason !== 'lease lost') await queue.fail(job.id, this.id, errorMessage(err))
      }
    })().catch((err) => this.#opts.onError?.(err)).finally(() => {
      clearInterval(renew)
      this.#running.delete(job.id)
      this.#wake?.()
    })
    this.#running.set(job.id, { abort, done })
  }

  /** Stops taking jobs; running ones are aborted (they go back to the queue when their lease runs out) unless `drain`. */
  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    this.#stopped = true
    this.#wake?.()
    if (!opts.drain) for (const r of this.#running.values()) r.abort.abort('worker stopped')
    await this.#loop
    await Promise.allSettled([...this.#running.values()].map((r) => r.done))
  }
}
