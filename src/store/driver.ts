/** Runs SQL (PostgreSQL dialect) against one database. PGlite and pg both implement it. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export interface SqlDriver extends SqlExecutor, Partial<ChangeFeed> {
  readonly kind: 'pglite' | 'postgres'
  /** PGlite: the previous holder of the home died without releasing it (its writes may be half done). */
  readonly previousHolderDied?: boolean
  /** Commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Databases shared by several processes tell each of them what others changed. */
export interface ChangeFeed {
  /**
   * Calls `onChange` with the table changed by any process (migration 014's feed), and with
   * 'resync' whenever notices may have been missed (first connection, reconnection).
   */
  listen(
    onChange: (topic: 'tags' | 'versions' | 'pipeline_versions' | 'pipeline_deployments' | 'api_tokens' | 'resync') => void,
    onState?: (state: 'connected' | 'disconnected', err?: unknown) => void,
  ): Promise<{ close(): Promise<void> }>
}
