/** The PostgreSQL the tests use, and whether they may run: absent → skipped with the reason printed, or a failure under CI. */
import pg from 'pg'

export const TEST_DATABASE_URL = process.env.QUIVER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Why PostgreSQL tests cannot run here, or undefined when they can; throws when CI is set and they cannot. */
export async function postgresSkipReason(what = 'PostgreSQL tests'): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 })
  let reason: string | undefined
  try {
    await client.connect()
    await client.query('SELECT 1')
  } catch (err) {
    reason = `PostgreSQL at ${TEST_DATABASE_URL} is not reachable (${(err as Error).message}); set QUIVER_TEST_DATABASE_URL`
  } finally {
    await client.end().catch(() => {})
  }
  if (reason && process.env.CI) throw new Error(`CI is set, so ${what} may not skip: ${reason}`)
  if (reason) console.log(`# skipping ${what}: ${reason}`)
  return reason
}

/** The test database's URL with `search_path` set to `schema`. */
export function urlWithSchema(schema: string): string {
  return `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}
