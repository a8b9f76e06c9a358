import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { errorMessage } from '../errors.js'
import { FinalJobError, type JobQueue, type JobRecord } from './job-queue.js'

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
  /** Only jobs whose id is at most this (what was queued before a one-shot command opened the home). */
  maxJobId?: number
  onError?: (err: unknown) => void
  /** Told when this worker starts a job and when it ends (its state then). */
  onJob?: (job: JobRecord, phase: 'started' | 'ended', state?: JobRecord['state'] | 'released') => void
}

/**
 * Takes jobs of the kinds it has handlers for and runs them: renews their lease with progress,
 * stops a job whose cancellation was asked for, records success or failure (retried while
 * attempts remain), and sweeps jobs whose worker died so that another worker takes them.
 */
export class JobWorker {
  readonly id: string
  readonly #opts: Required<Pick<JobWorkerOptions, 'queue' | 'handlers' | 'leaseMs' | 'pollMs' | 'concurrency'>> & JobWorkerOptions
  readonly #running = new Map<number, { abort: AbortController; done: Promise<void> }>()
  #stopped = false
  #untilIdle = false
  #loop: Promise<void> | null = null
  #wake: (() => void) | null = null

  constructor(opts: JobWorkerOptions) {
    this.id = opts.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.#opts = { ...opts, leaseMs: opts.leaseMs ?? 30_000, pollMs: opts.pollMs ?? 500, concurrency: opts.concurrency ?? 1 }
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
          const job = await this.#opts.queue.claim(this.id, kinds, this.#opts.leaseMs, { maxId: this.#opts.maxJobId })
          if (job) {
            this.#start(job)
            continue
          }
          if (this.#untilIdle && this.#running.size === 0) break
        }
      } catch (err) {
        // The database is away: keep trying, the jobs wait in it (a worker finishing up gives up).
        this.#opts.onError?.(err)
        if (this.#untilIdle) break
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
    this.#opts.onJob?.(job, 'started')
    const done = (async () => {
      let outcome: { ok: true; result: unknown } | { ok: false; error: unknown }
      try {
        outcome = { ok: true, result: await handler(job, ctx) }
      } catch (error) {
        outcome = { ok: false, error }
      }
      clearInterval(renew)
      const reason = abort.signal.reason
      if (reason === 'lease lost') return
      // A handler that finished before it could stop has done the work: that is recorded, not a cancellation.
      if (reason === 'cancelled' && !outcome.ok) {
        await queue.markCancelled(job.id, this.id)
        this.#opts.onJob?.(job, 'ended', 'cancelled')
      } else if (reason === 'worker stopped' && !outcome.ok) {
        // Stopped part way: another worker starts it again from the beginning.
        await queue.release(job.id, this.id)
        this.#opts.onJob?.(job, 'ended', 'released')
      } else if (outcome.ok) {
        await queue.complete(job.id, this.id, outcome.result)
        this.#opts.onJob?.(job, 'ended', 'succeeded')
      } else {
        const after = await queue.fail(job.id, this.id, errorMessage(outcome.error), { final: outcome.error instanceof FinalJobError })
        this.#opts.onJob?.(after ?? job, 'ended', after?.state ?? 'failed')
      }
    })().catch((err) => this.#opts.onError?.(err)).finally(() => {
      clearInterval(renew)
      this.#running.delete(job.id)
      this.#wake?.()
    })
    this.#running.set(job.id, { abort, done })
  }

  /** Looks at the queue now instead of at the next poll (a job was just enqueued in this process). */
  wake(): void {
    this.#wake?.()
  }

  /** Resolves once no job this worker may take is runnable now and none runs; the worker then stops. */
  async finishRunnable(): Promise<void> {
    this.#untilIdle = true
    this.#wake?.()
    this.start()
    await this.#loop
    await Promise.allSettled([...this.#running.values()].map((r) => r.done))
    this.#stopped = true
  }

  /**
   * Stops taking jobs. With `drain` running jobs finish — for at most `graceMs` when given, after
   * which they are aborted and handed back to the queue at once for another worker (without
   * waiting for handlers that ignore the abort). Without `drain` they are aborted at once; a job
   * whose handler gives up goes back to the queue.
   */
  async stop(opts: { drain?: boolean; graceMs?: number } = {}): Promise<void> {
    this.#stopped = true
    this.#wake?.()
    if (!opts.drain) for (const r of this.#running.values()) r.abort.abort('worker stopped')
    await this.#loop
    const all = Promise.allSettled([...this.#running.values()].map((r) => r.done))
    if (!opts.drain || opts.graceMs === undefined) {
      await all
      return
    }
    let timer: NodeJS.Timeout | undefined
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), opts.graceMs) })])
    clearTimeout(timer)
    if (!late) return
    await Promise.allSettled([...this.#running.entries()].map(async ([id, r]) => {
      r.abort.abort('lease lost')
      this.#running.delete(id)
      await this.#opts.queue.release(id, this.id)
      this.#opts.onJob?.({ ...(await this.#opts.queue.get(id)) }, 'ended', 'released')
    }))
  }
}
