/**
 * How inference logs are buffered and kept. Retention is per pipeline: segments older than
 * `maxAgeMs` go first, then the oldest until the pipeline's logs fit in `maxBytes`.
 */
import { InvalidInput } from '../../errors.js'

export interface LogSettings {
  /** Drop segments whose newest row is older than this. */
  maxAgeMs: number
  /** Keep each pipeline's segments under this many bytes, dropping the oldest. */
  maxBytes: number
  /** Write buffered rows at least this often. */
  flushIntervalMs: number
  /** Write as soon as this many rows are buffered. */
  flushRows: number
  /** Past this many buffered rows (the disk cannot keep up), new rows are dropped and counted. */
  maxBufferedRows: number
}

export const DEFAULT_LOG_SETTINGS: Readonly<LogSettings> = Object.freeze({
  maxAgeMs: 30 * 24 * 3600_000,
  maxBytes: 1024 ** 3,
  flushIntervalMs: 1000,
  flushRows: 65_536,
  maxBufferedRows: 1_000_000,
})

export const LOG_SETTINGS_ENV = Object.freeze({
  maxAgeMs: 'QUIVER_LOG_MAX_AGE',
  maxBytes: 'QUIVER_LOG_MAX_BYTES',
  flushIntervalMs: 'QUIVER_LOG_FLUSH_MS',
})

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** `30d`, `12h`, `15m`, `90s`, `500ms`, or a number of milliseconds. */
export function parseDuration(raw: string, what: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(raw)
  if (m === null) throw new InvalidInput(`${what} must be a duration such as 30d, 12h, 15m or 500ms, got ${JSON.stringify(raw)}`, { field: what, got: raw })
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!)
}

/** `1GiB`, `500MB`, `64kib`, or a number of bytes. */
export function parseSize(raw: string, what: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]i?b|b)?\s*$/i.exec(raw)
  if (m === null) throw new InvalidInput(`${what} must be a size such as 1GiB, 500MB or 65536, got ${JSON.stringify(raw)}`, { field: what, got: raw })
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!)
}

/** The defaults, overridden by the environment, then by `overrides`. */
export function logSettings(overrides: Partial<LogSettings> = {}, env: NodeJS.ProcessEnv = process.env): LogSettings {
  const out: LogSettings = { ...DEFAULT_LOG_SETTINGS }
  const age = env[LOG_SETTINGS_ENV.maxAgeMs]?.trim()
  if (age) out.maxAgeMs = parseDuration(age, LOG_SETTINGS_ENV.maxAgeMs)
  const size = env[LOG_SETTINGS_ENV.maxBytes]?.trim()
  if (size) out.maxBytes = parseSize(size, LOG_SETTINGS_ENV.maxBytes)
  const flush = env[LOG_SETTINGS_ENV.flushIntervalMs]?.trim()
  if (flush) out.flushIntervalMs = parseDuration(flush, LOG_SETTINGS_ENV.flushIntervalMs)
  return { ...out, ...overrides }
}
