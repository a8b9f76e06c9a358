/**
 * One breaker per endpoint: `closed` lets calls through; `failures` consecutive failed calls open
 * it, and while `open` calls fail at once without touching the endpoint; after `resetMs` it is
 * `half-open` and lets one trial call through, whose success closes it and whose failure opens it
 * again for another `resetMs`.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

export class CircuitBreaker {
  #failures = 0
  #openedAt = 0
  #state: BreakerState = 'closed'
  #trialInFlight = false

  constructor(readonly threshold: number, readonly resetMs: number, private readonly now: () => number = Date.now) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.resetMs) this.#state = 'half-open'
    return this.#state
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.#failures
  }

  /** Milliseconds until an open breaker lets a trial through. */
  get retryInMs(): number {
    return Math.max(0, this.#openedAt + this.resetMs - this.now())
  }

  /** Whether a call may go out now; in half-open only one trial at a time does. */
  tryAcquire(): boolean {
    const s = this.state
    if (s === 'closed') return true
    if (s === 'open' || this.#trialInFlight) return false
    this.#trialInFlight = true
    return true
  }

  success(): void {
    this.#failures = 0
    this.#trialInFlight = false
    this.#state = 'closed'
  }

  /** Why the last call failed, for the message of calls refused while open. */
  lastFailure = ''

  failure(reason = ''): void {
    this.lastFailure = reason
    this.#failures++
    const trial = this.#trialInFlight
    this.#trialInFlight = false
    if (trial || this.#failures >= this.threshold) {
      this.#state = 'open'
      this.#openedAt = this.now()
    }
  }
}
