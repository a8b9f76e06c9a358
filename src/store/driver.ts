/** Runs SQL (PostgreSQL dialect) against one database. PGlite and pg both implement it. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export interface SqlDriver extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres'
  /** PGlite: the previous holder of the home died without releasing it (its writes may be half done). */
  readonly previousHolderDied?: boolean
  /** Commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>
  close(): Promise<void>
}
