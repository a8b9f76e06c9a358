/**
 * A `remote` upload's artifact: the endpoint described as JSON (endpoint.json), made by the caller
 * so every door (CLI, SDK, REST multipart) uploads it like any file. The remote runtime checks it.
 */
import type { UploadSource } from './quiver-api.js'

export interface RemoteEndpoint {
  /** `…/v2/models/NAME` for v2, the scoring URL (`…/invocations`) for mlflow, any JSON URL for json. */
  url: string
  /** `v2` | `mlflow` | `json`, or a platform registered with `registerModelPlatform`. */
  protocol: string
  timeout_ms?: number
  retries?: number
  backoff_ms?: number
  breaker_failures?: number
  breaker_reset_ms?: number
  headers?: Record<string, string>
  /** The environment variable holding a bearer token for the endpoint, read at each call (never stored). */
  token_env?: string
}

/**
 * @example
 * await api.uploadModel({ name: 'scorer', framework: 'remote', source: endpointSource({ url, protocol: 'v2' }) })
 */
export function endpointSource(endpoint: RemoteEndpoint): UploadSource {
  const bytes = new TextEncoder().encode(`${JSON.stringify(endpoint, null, 1)}\n`)
  return { stream: (async function* () { yield bytes })(), fileName: 'endpoint.json' }
}
