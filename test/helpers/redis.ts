/** The Redis the tests use, and whether they may run: absent → skipped with the reason printed, or a failure under CI. */
import { Redis } from 'ioredis'

export const TEST_REDIS_URL = process.env.QUIVER_TEST_REDIS_URL ?? process.env.QUIVER_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Why Redis tests cannot run here, or undefined when they can; throws when CI is set and they cannot. */
export async function redisSkipReason(what = 'Redis tests'): Promise<string | undefined> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 })
  client.on('error', () => {})
  let reason: string | undefined
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    reason = `Redis at ${TEST_REDIS_URL} is not reachable (${(err as Error).message}); set QUIVER_TEST_REDIS_URL`
  } finally {
    client.disconnect()
  }
  if (reason && process.env.CI) throw new Error(`CI is set, so ${what} may not skip: ${reason}`)
  if (reason) console.log(`# skipping ${what}: ${reason}`)
  return reason
}

/** Deletes every key under `prefix*` (a test's own namespace). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(TEST_REDIS_URL)
  try {
    let cursor = '0'
    do {
      // Keys hold binary entity bytes: scanned and deleted as buffers, never as text.
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length) await client.del(...keys)
      cursor = next.toString()
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}
