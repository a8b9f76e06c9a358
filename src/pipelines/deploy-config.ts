import { availableParallelism, totalmem } from 'node:os'
import { InvalidInput } from '../errors.js'
import type { DeployConfig } from '../records/pipeline-record.js'

/** What `pipeline deploy` accepts; absent fields take the defaults below. */
export interface DeployRequest {
  replicas?: number
  cpus?: number
  /** Bytes, or a size such as `1Gi`, `512Mi`, `2G`. */
  memory?: number | string
  batchMaxRows?: number
  batchDelayMs?: number
}

/**
 * Batching defaults: up to 256 rows per run, and no waiting — requests that arrive while a step is
 * busy run together as soon as it is free, so a lone request is never held back.
 */
export const DEFAULT_BATCH_MAX_ROWS = 256
export const DEFAULT_BATCH_DELAY_MS = 0

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 2 ** 10, kib: 2 ** 10, mi: 2 ** 20, mib: 2 ** 20, gi: 2 ** 30, gib: 2 ** 30, ti: 2 ** 40, tib: 2 ** 40,
}

export function parseMemory(raw: number | string): number {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return Math.floor(raw)
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/.exec(String(raw))
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new InvalidInput(`memory ${JSON.stringify(raw)} is not a size; expected e.g. 1Gi, 512Mi, 2G or a number of bytes`, {
      field: 'memory', got: String(raw), expected: 'a size such as 1Gi, 512Mi, 2G',
    })
  }
  return Math.floor(Number(m[1]) * unit)
}

function whole(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInput(`${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, { field, got: String(value), expected: `${min}..${max}` })
  }
  return value
}

export function deployConfig(req: DeployRequest): DeployConfig {
  const cpus = req.cpus ?? 1
  if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus <= 0 || cpus > 1024) {
    throw new InvalidInput(`cpus must be a number above 0, got ${JSON.stringify(req.cpus)}`, { field: 'cpus', got: String(req.cpus) })
  }
  return {
    replicas: whole(req.replicas ?? 1, 'replicas', 1, 64),
    cpus,
    memory_bytes: req.memory === undefined ? totalmem() : parseMemory(req.memory),
    batch_max_rows: whole(req.batchMaxRows ?? DEFAULT_BATCH_MAX_ROWS, 'batch-max-rows', 1, 1 << 20),
    batch_delay_ms: whole(req.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS, 'batch-delay-ms', 0, 60_000),
  }
}

/** onnxruntime intra-op threads for `cpus` (at least one, at most the machine's). */
export function intraOpThreads(cpus: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(cpus)))
}
