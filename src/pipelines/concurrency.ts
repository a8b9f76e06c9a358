/**
 * A bound on concurrent model executions. Requests beyond `maxActive` wait in a FIFO queue; beyond
 * `maxQueued` waiting ones they are refused at once (503), so that a burst cannot pile up unbounded
 * request bodies and tensors in memory.
 */
import { NotReady } from '../errors.js'

export interface ConcurrencyLimits {
  maxActive: number
  maxQueued: number
}

export class ConcurrencyGuard {
  readonly limits: ConcurrencyLimits
  #active = 0
  readonly #waiting: (() => void)[] = []

  constructor(limits: ConcurrencyLimits) {
    this.limits = Object.freeze({ ...limits })
  }

  get active(): number {
    return this.#active
  }

  get queued(): number {
    return this.#waiting.length
  }

  /** Runs `fn` when a slot is free; NotReady when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limits.maxActive) {
      if (this.#waiting.length >= this.limits.maxQueued) {
        throw new NotReady(
          `the server is busy: ${this.#active} inferences running and ${this.#waiting.length} waiting (limits ${this.limits.maxActive} and ${this.limits.maxQueued}); retry later`,
          { reason: 'busy' },
        )
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#active++
    }
    try {
      return await fn()
    } finally {
      const next = this.#waiting.shift()
      // The slot passes straight to the next waiter, so `active` stays accurate.
      if (next) next()
      else this.#active--
    }
  }
}
