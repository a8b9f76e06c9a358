import { InvalidInput } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'

const MiB = 2 ** 20

/**
 * Resident memory a loaded session adds beyond its weights: onnxruntime's arenas and the native
 * runtime's own tables are small; a Python worker is an interpreter with numpy and the framework.
 */
const OVERHEAD: Record<VersionRecord['runtime'], number> = { native: 16 * MiB, containerized: 160 * MiB, remote: 0 }
/** Weights are held about twice (parsed graph and optimized copy), plus working buffers. */
const WEIGHT_FACTOR = 3

export interface MemoryEstimate {
  bytes: number
  detail: string
}

export function estimateMemory(versions: readonly VersionRecord[], replicas: number): MemoryEstimate {
  const parts = versions.map((v) => ({ v, bytes: v.size_bytes * WEIGHT_FACTOR + OVERHEAD[v.runtime] }))
  const perReplica = parts.reduce((sum, p) => sum + p.bytes, 0)
  const detail = `${replicas} replica${replicas === 1 ? '' : 's'} × (${parts.map((p) => `${p.v.name}#${p.v.seq} ${size(p.bytes)}`).join(' + ')})`
  return { bytes: perReplica * replicas, detail }
}

export function assertFits(pipeline: string, estimate: MemoryEstimate, limit: number): void {
  if (estimate.bytes > limit) {
    throw new InvalidInput(
      `pipeline '${pipeline}' needs about ${size(estimate.bytes)} (${estimate.detail}) but its memory limit is ${size(limit)}; deploy with --memory ${Math.ceil(estimate.bytes / MiB)}Mi or more, or fewer replicas`,
      { field: 'memory', expected: `at least ${estimate.bytes} bytes`, got: `${limit} bytes` },
    )
  }
}

export function size(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`
  return `${(bytes / 1024).toFixed(1)} KiB`
}
