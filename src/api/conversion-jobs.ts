/**
 * Conversions as jobs: an upload with `noWait` enqueues one, and whoever takes jobs runs it (on
 * PostgreSQL any replica or worker; embedded, the process holding the home: `quiver serve`,
 * `quiver worker`, or the next command that opens it). A worker that dies mid-conversion leaves
 * the job to another (at once when embedded, after its lease on PostgreSQL); the version is
 * converted again from its stored blobs.
 */
import { errorMessage } from '../errors.js'
import { FinalJobError, type JobRecord } from '../jobs/job-queue.js'
import type { Registry } from '../registry/registry.js'
import type { JobHandler } from '../jobs/job-worker.js'
import type { SqlJobQueue } from '../jobs/sql-job-queue.js'
import type { VersionRecord } from '../records/version-record.js'
import { isFinal } from '../registry/status.js'
import { convertVersion, type UploadDeps } from './model-upload.js'

export const CONVERT_JOB = 'convert'

export interface ConvertPayload extends Record<string, unknown> {
  versionId: number
  /** `name#seq`, for people reading the job list. */
  model: string
  tags: string[]
}

export function enqueueConversion(queue: SqlJobQueue, v: VersionRecord, tags: readonly string[]) {
  const payload: ConvertPayload = { versionId: v.id, model: `${v.name}#${v.seq}`, tags: [...tags] }
  return queue.enqueue(CONVERT_JOB, payload, { workspace: v.workspace })
}

export function convertJobHandler(deps: UploadDeps, converted: (v: VersionRecord) => Promise<void>): JobHandler {
  return async (job, ctx) => {
    const { versionId, tags } = job.payload as ConvertPayload
    let v = await deps.registry.byId(versionId)
    if (v.status === 'ready') return { status: v.status, model: `${v.name}:${v.version}` }
    if (v.status === 'error') throw new FinalJobError(`${v.name}#${v.seq} is in error: ${v.error_message}`)
    // A previous run died mid-conversion: start again from the stored blobs.
    if (v.status === 'converting') v = { ...v, status: 'pending_conversion' }
    ctx.progress(0, `converting ${v.name}#${v.seq}`)
    let done: VersionRecord
    try {
      done = await convertVersion(deps, v, tags, (message) => ctx.progress(0.5, message))
    } catch (err) {
      // The file cannot be loaded: running it again would fail again.
      const now = await deps.registry.byId(versionId)
      if (!isFinal(now.status)) await deps.registry.moveStatus(now, 'error', { error_message: errorMessage(err) })
      throw new FinalJobError(errorMessage(err))
    } finally {
      await converted(v).catch(() => {})
    }
    if (done.status === 'error') throw new FinalJobError(`${done.name}#${done.seq} is in error: ${done.error_message}`)
    return { status: done.status, model: `${done.name}:${done.version}` }
  }
}

/** A conversion job cancelled before it ran: its version will never be converted, so it is moved to `error`. */
export async function conversionCancelled(registry: Registry, job: JobRecord): Promise<void> {
  if (job.kind !== CONVERT_JOB) return
  const v = await registry.byId((job.payload as ConvertPayload).versionId).catch(() => null)
  if (v?.status === 'pending_conversion') {
    await registry.moveStatus(v, 'error', { error_message: `conversion cancelled (job ${job.id}); upload the model again` })
  }
}

/** Whether a conversion job for the version is still queued or running (its version is not abandoned). */
export function conversionPending(queue: SqlJobQueue, versionId: number): Promise<boolean> {
  return queue.active(CONVERT_JOB, 'versionId', String(versionId))
}
