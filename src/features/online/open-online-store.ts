import { EmbeddedOnlineStore } from './embedded-store.js'
import type { OnlineStore } from './online-store.js'
import { RedisOnlineStore } from './redis-store.js'

/**
 * Redis when `QUIVER_REDIS_URL` (or `redisUrl`) is set (keys under `QUIVER_REDIS_PREFIX`, default
 * `quiver`), else the embedded store kept under `dir`.
 */
export function openOnlineStore(opts: { dir?: string; redisUrl?: string }): OnlineStore {
  const url = opts.redisUrl ?? process.env.QUIVER_REDIS_URL
  return url ? new RedisOnlineStore(url, process.env.QUIVER_REDIS_PREFIX || undefined) : new EmbeddedOnlineStore(opts.dir)
}
