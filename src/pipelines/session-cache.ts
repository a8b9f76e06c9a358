import type { Session } from '../runtimes/runtime.js'

/**
 * Loaded sessions by version id. Concurrent first requests share one load; a failed load is
 * forgotten so the next request retries.
 */
export class SessionCache {
  #sessions = new Map<number, Promise<Session>>()

  get(versionId: number, load: () => Promise<Session>): Promise<Session> {
    let s = this.#sessions.get(versionId)
    if (!s) {
      s = load()
      this.#sessions.set(versionId, s)
      s.catch(() => this.#sessions.delete(versionId))
    }
    return s
  }

  set(versionId: number, session: Session): void {
    this.#sessions.set(versionId, Promise.resolve(session))
  }

  async closeAll(): Promise<void> {
    const all = [...this.#sessions.values()]
    this.#sessions.clear()
    await Promise.allSettled(all.map(async (p) => (await p).close()))
  }
}
