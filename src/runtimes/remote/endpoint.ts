/**
 * A `remote` version's artifact: a small JSON document naming the endpoint, its protocol and how
 * hard to try (timeouts, retries, breaker). Stored content-addressed like any artifact, so two
 * versions of the same endpoint with the same settings share one blob.
 */
import { InvalidInput } from '../../errors.js'

export interface EndpointSpec {
  url: string
  /** A built-in platform (`v2`, `mlflow`, `json`) or one registered with `registerModelPlatform`. */
  protocol: string
  /** Milliseconds one call may take before it counts as failed. */
  timeout_ms: number
  /** Calls after the first when the answer is a 5xx or the connection fails. */
  retries: number
  /** The first wait between attempts; it doubles each time. */
  backoff_ms: number
  /** Consecutive failed calls that open the breaker. */
  breaker_failures: number
  /** How long the breaker stays open before one trial call is let through (half-open). */
  breaker_reset_ms: number
  /** Extra request headers (e.g. an Authorization for the peer). */
  headers: Record<string, string>
  /**
   * The environment variable holding a bearer token for the peer (one running `serve --auth`),
   * read at each call and sent as `Authorization: Bearer …`; only its name is stored.
   */
  token_env: string | null
}

export const ENDPOINT_FILE = 'endpoint.json'

const DEFAULTS = { timeout_ms: 30_000, retries: 3, backoff_ms: 200, breaker_failures: 5, breaker_reset_ms: 30_000 } as const

/** Checks a user's endpoint description and fills in the defaults. */
export function parseEndpoint(value: unknown): EndpointSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInput('a remote endpoint is a JSON object {"url": ..., "protocol": ...}', { field: 'endpoint' })
  }
  const v = value as Record<string, unknown>
  const url = v.url
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new InvalidInput(`a remote endpoint needs an http(s) URL, got ${JSON.stringify(url ?? null)}`, { field: 'url', expected: 'http://… or https://…', got: String(url) })
  }
  try {
    new URL(url)
  } catch {
    throw new InvalidInput(`remote endpoint URL ${JSON.stringify(url)} is not a valid URL`, { field: 'url', got: url })
  }
  const protocol = v.protocol ?? 'v2'
  if (typeof protocol !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(protocol)) {
    throw new InvalidInput(`remote protocol must be a platform name such as v2, mlflow or json, got ${JSON.stringify(protocol)}`, { field: 'protocol', got: String(protocol) })
  }
  const spec: EndpointSpec = { url: url.replace(/\/+$/, ''), protocol, ...DEFAULTS, headers: {}, token_env: null }
  if (v.token_env !== undefined && v.token_env !== null) {
    if (typeof v.token_env !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.token_env)) {
      throw new InvalidInput(`remote endpoint token_env must name an environment variable (letters, digits, _), got ${JSON.stringify(v.token_env)}`, { field: 'token_env', expected: 'e.g. PEER_TOKEN', got: String(v.token_env) })
    }
    spec.token_env = v.token_env
  }
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const x = v[key]
    if (x === undefined) continue
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || (key !== 'retries' && x === 0)) {
      throw new InvalidInput(`remote endpoint ${key} must be a ${key === 'retries' ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(x)}`, { field: key, got: String(x) })
    }
    spec[key] = x
  }
  if (v.headers !== undefined) {
    if (typeof v.headers !== 'object' || v.headers === null || Object.values(v.headers).some((h) => typeof h !== 'string')) {
      throw new InvalidInput('remote endpoint headers must be an object of strings', { field: 'headers' })
    }
    spec.headers = { ...(v.headers as Record<string, string>) }
  }
  return spec
}
