import type { Client } from 'pg'

/** What changed: a table of the change feed (migration 014), or 'resync' when notices may have been missed. */
export type ChangeTopic = 'tags' | 'versions' | 'pipeline_versions' | 'pipeline_deployments' | 'api_tokens' | 'resync'

export interface ChangeListenerOptions {
  url: string
  /** `-c search_path=…` for the connection, as the pool has it. */
  options?: string
  onChange: (topic: ChangeTopic) => void
  /** Told when the connection drops and each time it is back. */
  onState?: (state: 'connected' | 'disconnected', err?: unknown) => void
}

const CHANNEL = 'quiver_changes'
const MAX_BACKOFF_MS = 2000

/**
 * One dedicated connection LISTENing to the change feed of this process's schema. When the
 * connection drops (the server restarted, the connection was terminated), it reconnects with
 * backoff, and announces 'resync' on every (re)connection: what changed meanwhile was not heard,
 * so everything cached must be dropped.
 */
export class ChangeListener {
  readonly #opts: ChangeListenerOptions
  #client: Client | null = null
  #closed = false
  #backoff = 100
  #timer: NodeJS.Timeout | undefined
  #schema = ''

  private constructor(opts: ChangeListenerOptions) {
    this.#opts = opts
  }

  /** Starts listening; resolves once the first connection listens (or rejects if it cannot). */
  static async start(opts: ChangeListenerOptions): Promise<ChangeListener> {
    const l = new ChangeListener(opts)
    await l.#connect()
    return l
  }

  async #connect(): Promise<void> {
    const pg = (await import('pg')).default
    const client = new pg.Client({ connectionString: this.#opts.url, options: this.#opts.options })
    client.on('error', () => {})
    client.on('end', () => this.#lost(client))
    client.on('notification', (n) => {
      const [schema, table] = (n.payload ?? '').split(':')
      if (schema === this.#schema && table) this.#opts.onChange(table as ChangeTopic)
    })
    try {
      await client.connect()
      this.#schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s
      await client.query(`LISTEN ${CHANNEL}`)
    } catch (err) {
      client.removeAllListeners('end')
      await client.end().catch(() => {})
      throw err
    }
    if (this.#closed) {
      await client.end().catch(() => {})
      return
    }
    this.#client = client
    this.#backoff = 100
    this.#opts.onState?.('connected')
    this.#opts.onChange('resync')
  }

  #lost(client: Client, err?: unknown): void {
    if (this.#client !== client || this.#closed) return
    this.#client = null
    this.#opts.onState?.('disconnected', err)
    this.#opts.onChange('resync')
    this.#retry()
  }

  #retry(): void {
    if (this.#closed) return
    this.#timer = setTimeout(() => {
      this.#connect().catch(() => {
        this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS)
        this.#retry()
      })
    }, this.#backoff)
    this.#timer.unref()
  }

  get connected(): boolean {
    return this.#client !== null
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    const c = this.#client
    this.#client = null
    await c?.end().catch(() => {})
  }
}
