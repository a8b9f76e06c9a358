/**
 * Limits on what an input may claim or decode to, checked before anything sized by the claim is
 * allocated. Each has a default and an environment override, read once per process (a process's
 * environment does not change from outside; reading four variables costs microseconds per request).
 */
import { InvalidInput, TooLarge } from '../errors.js'

export interface InputLimits {
  /** Rows one input table may hold after decoding (JSON, Arrow IPC, Parquet, CSV, V2 tensors). */
  maxRows: number
  /** Bytes one input may decode to (decompressed gzip, Parquet/CSV decoded columns, V2 tensor data). */
  maxDecodedBytes: number
  /** Nesting depth of a JSON document (arrays and objects). */
  maxJsonDepth: number
  /** Bytes of one text field of an upload (description, a metadata value, a schema). */
  maxFieldBytes: number
}

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxRows: 10_000_000,
  maxDecodedBytes: 2 * 1024 ** 3,
  maxJsonDepth: 64,
  maxFieldBytes: 1024 * 1024,
})

export const INPUT_LIMIT_ENV: Readonly<Record<keyof InputLimits, string>> = Object.freeze({
  maxRows: 'QUIVER_MAX_INPUT_ROWS',
  maxDecodedBytes: 'QUIVER_MAX_DECODED_BYTES',
  maxJsonDepth: 'QUIVER_MAX_JSON_DEPTH',
  maxFieldBytes: 'QUIVER_MAX_FIELD_BYTES',
})

/** The effective limits: each default replaced by its environment variable when that is set. */
export function inputLimits(env: NodeJS.ProcessEnv = process.env): InputLimits {
  if (env !== process.env) return readLimits(env)
  processLimits ??= Object.freeze(readLimits(env))
  return processLimits
}

let processLimits: Readonly<InputLimits> | undefined

/** Reads the limits from `process.env` again, for a program (or test) that changes its own environment while running. */
export function refreshInputLimits(): void {
  processLimits = undefined
}

function readLimits(env: NodeJS.ProcessEnv): InputLimits {
  const out = { ...DEFAULT_INPUT_LIMITS }
  for (const key of Object.keys(INPUT_LIMIT_ENV) as (keyof InputLimits)[]) {
    const name = INPUT_LIMIT_ENV[key]
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') continue
    const n = Number(raw)
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new InvalidInput(`${name} must be a positive integer, got ${JSON.stringify(raw)}`, { field: name, got: raw })
    }
    out[key] = n
  }
  return out
}

/**
 * The error for an input past one of the limits, exit 2 in the CLI. Sizes (rows, bytes) are
 * TooLarge (413 at the HTTP doors); nesting depth is a malformed document, InvalidInput (400).
 * `what` names the field or part of the input ("field 'description'", "V2 input 'x'").
 */
export function limitExceeded(what: string, limit: keyof InputLimits, allowed: number, got: number | string): TooLarge | InvalidInput {
  const message = `${what}: ${got} ${describeLimit(limit)} is past the limit of ${allowed} (set ${INPUT_LIMIT_ENV[limit]} to change it)`
  const details = { field: what, limit, allowed, got: String(got) }
  return limit === 'maxJsonDepth' ? new InvalidInput(message, details) : new TooLarge(message, details)
}

function describeLimit(limit: keyof InputLimits): string {
  switch (limit) {
    case 'maxRows': return 'rows'
    case 'maxDecodedBytes': return 'decoded bytes'
    case 'maxJsonDepth': return 'JSON nesting levels'
    case 'maxFieldBytes': return 'bytes in one field'
  }
}
