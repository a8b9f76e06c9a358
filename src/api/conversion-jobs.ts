/**
 * Conversions as jobs on a shared database: an upload with `noWait` on a replica enqueues one, and
 * any replica's worker takes it. A worker that dies mid-conversion leaves the job to another once
 * its lease runs out; the version is converted again from its stored blobs.
 */
import type { JobHandler } from '../jobs/job-worker.js'
import type { SqlJobQueue } from '../jobs/sql-job-queue.js'
import type { VersionRecord } from '../records/version-record.js'
import { convertVersion, type UploadDeps } from './model-upload.js'

export const CONVERT_JOB = 'convert'

export interface ConvertPayload extends Record<string, unknown> {
  versionId: number
  tags: string[]
}

export function enqueueConversion(queue: SqlJobQueue, v: VersionRecord, tags: readonly string[]) {
  const payload: ConvertPayload = { versionId: v.id, tags: [...tags] }
  return queue.enqueue(CONVERT_JOB, payload)
}

export function convertJobHandler(deps: UploadDeps, converted: (v: VersionRecord) => Promise<void>): JobHandler {
  return async (job, ctx) => {
    const { versionId, tags } = job.payload as ConvertPayload
    let v = await deps.registry.byId(versionId)
    if (v.status === 'ready' || v.status === 'error') return { status: v.status, seq: v.seq }
    // A previous run died mid-conversion: start again from the stored blobs.
    if (v.status === 'converting') v = { ...v, status: 'pending_conversion' }
    ctx.progress(0, `converting ${v.name}#${v.seq}`)
    const done = await convertVersion(deps, v, tags, (message) => ctx.progress(0.5, message))
    await converted(done)
    return { status: done.status, seq: done.seq }
  }
}

/** Whether a conversion job for the version is still queued or running (its version is not abandoned). */
export function conversionPending(queue: SqlJobQueue, versionId: number): Promise<boolean> {
  return queue.active(CONVERT_JOB, 'versionId', String(versionId))
}
