import type { Pool, PoolClient } from 'pg'
import { errorMessage, InvalidInput, QuiverError } from '../../errors.js'
import type { ChangeFeed, SqlDriver, SqlExecutor } from '../driver.js'

export interface PostgresDriverOptions {
  /** `postgres://user[:password]@host[:port]/database` */
  url: string
  /** Schemas to resolve unqualified names in, comma-separated (`search_path`); default the server's. */
  searchPath?: string
  /** Pool size (default 10). */
  max?: number
}

/** Errors of a connection that dropped or could not be made (node's and PostgreSQL's 57P0x: server shutting down). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03'])

const SEARCH_PATH_RE = /^[A-Za-z_][A-Za-z0-9_$]*(\s*,\s*[A-Za-z_][A-Za-z0-9_$]*)*$/

/** PostgreSQL through a `pg.Pool`; each transaction holds one pooled connection. */
export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const
  readonly #pool: Pool
  readonly #opts: PostgresDriverOptions
  #closed: Promise<void> | null = null

  private constructor(pool: Pool, opts: PostgresDriverOptions) {
    this.#pool = pool
    this.#opts = opts
  }

  /** Connects (once, to fail early with a clear message) and returns the driver. */
  static async open(opts: PostgresDriverOptions): Promise<PostgresDriver> {
    if (opts.searchPath !== undefined && !SEARCH_PATH_RE.test(opts.searchPath)) {
      throw new InvalidInput(`search path '${opts.searchPath}' must be a comma-separated list of plain schema names`, {
        field: 'searchPath', expected: 'schema[,schema...]', got: opts.searchPath,
      })
    }
    // Loaded here so that the embedded path never loads pg.
    const pg = (await import('pg')).default
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      options: opts.searchPath ? `-c search_path=${opts.searchPath.replace(/\s+/g, '')}` : undefined,
    })
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => {})
    try {
      await pool.query('SELECT 1')
    } catch (err) {
      await pool.end().catch(() => {})
      throw new QuiverError('internal', `cannot connect to PostgreSQL at ${redactUrl(opts.url)}: ${errorMessage(err)}`,
        { url: redactUrl(opts.url) }, { cause: err })
    }
    return new PostgresDriver(pool, opts)
  }

  /** The change feed of this database's schema on a dedicated connection (see ChangeListener). */
  async listen(onChange: Parameters<ChangeFeed['listen']>[0], onState?: Parameters<ChangeFeed['listen']>[1]): Promise<{ close(): Promise<void> }> {
    const { ChangeListener } = await import('./change-listener.js')
    return ChangeListener.start({
      url: this.#opts.url,
      options: this.#opts.searchPath ? `-c search_path=${this.#opts.searchPath.replace(/\s+/g, '')}` : undefined,
      onChange,
      onState,
    })
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const res = await this.#pool.query(sql, params ? [...params] : undefined).catch((err) => { throw this.#unavailable(err) })
    return res.rows as R[]
  }

  async exec(sql: string): Promise<void> {
    // Without parameters pg uses the simple protocol, which accepts several statements.
    await this.#pool.query(sql).catch((err) => { throw this.#unavailable(err) })
  }

  /** A lost or refused connection as a clear error naming the database; other errors unchanged. */
  #unavailable(err: unknown): unknown {
    const code = (err as { code?: string })?.code ?? ''
    const lost = CONNECTION_CODES.has(code) || code.startsWith('08') || /Connection terminated|connection timeout|Client has encountered a connection error/i.test(errorMessage(err))
    if (!lost) return err
    return new QuiverError('internal', `the metadata database (PostgreSQL at ${redactUrl(this.#opts.url)}) is unavailable: ${errorMessage(err) || code}; retry shortly`,
      { url: redactUrl(this.#opts.url), pgCode: code }, { cause: err })
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect().catch((err) => { throw this.#unavailable(err) })
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await fn(clientExecutor(client))
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => { broken = true })
      throw err
    } finally {
      client.release(broken)
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end()
    return this.#closed
  }
}

function clientExecutor(client: PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await client.query(sql, params ? [...params] : undefined)).rows as R[]
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql)
    },
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparsable database URL>'
  }
}
