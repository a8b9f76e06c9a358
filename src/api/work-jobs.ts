/**
 * Materialization, training and evaluation as jobs: what each queues (a training's trainer and
 * training-set files go into the artifact store first, so that any worker can read them) and what
 * a worker runs for it, through the same core calls as the synchronous doors.
 */
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { errorMessage, InvalidInput, isQuiverError } from '../errors.js'
import { FinalJobError, type JobRecord } from '../jobs/job-queue.js'
import type { JobHandler } from '../jobs/job-worker.js'
import type { SqlJobQueue } from '../jobs/sql-job-queue.js'
import type { VersionRecord } from '../records/version-record.js'
import { assertValidName } from '../registry/names.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import type { EvaluationApi } from './evaluation-api.js'
import type { FeatureApi, MaterializeWindow } from './feature-api.js'
import type { ScopeOptions } from './quiver-api.js'
import type { TrainingApi, TrainRequest } from './training-api.js'

export const MATERIALIZE_JOB = 'materialize'
export const TRAIN_JOB = 'train'
export const EVALUATE_JOB = 'evaluate'

export interface WorkJobDeps {
  queue: SqlJobQueue
  artifacts: ArtifactStore
  /** Read at each use: the feature, evaluation and training APIs open on first use (the online store reads the environment then). */
  apis: { readonly features: FeatureApi; readonly evaluation: EvaluationApi; readonly training: TrainingApi }
  /** How many versions reference a blob (a job's input blob is removed once none does). */
  blobReferences(sha256: string): Promise<number>
}

/** A file a job reads, kept in the artifact store under its digest. */
interface StoredFile {
  sha256: string
  file_name: string
}

interface TrainPayload extends Record<string, unknown> {
  model: string
  trainer: StoredFile
  training_set: StoredFile | null
  /** Every blob the job reads: kept while the job is queued or running. */
  blobs: string[]
  request: Omit<TrainRequest, 'name' | 'trainer' | 'trainingSet' | 'onProgress' | 'signal'>
}

function workspaceOf(opts: ScopeOptions): string {
  const ws = opts.workspace ?? DEFAULT_WORKSPACE
  assertValidName(ws, 'workspace')
  return ws
}

export async function enqueueMaterialize(deps: WorkJobDeps, set: string, opts: ScopeOptions & MaterializeWindow = {}): Promise<JobRecord> {
  const workspace = workspaceOf(opts)
  await deps.apis.features.show(set, { workspace })
  return deps.queue.enqueue(MATERIALIZE_JOB, { set, start: opts.start ?? null, end: opts.end ?? null }, { workspace })
}

export async function enqueueEvaluate(deps: WorkJobDeps, ref: string, req: ScopeOptions & { suite: string }): Promise<JobRecord> {
  const workspace = workspaceOf(req)
  if (typeof req.suite !== 'string' || req.suite === '') throw new InvalidInput('suite is required', { field: 'suite' })
  await deps.apis.evaluation.showSuite(req.suite, { workspace })
  return deps.queue.enqueue(EVALUATE_JOB, { model: ref, suite: req.suite }, { workspace })
}

export async function enqueueTrain(deps: WorkJobDeps, req: TrainRequest, opts: ScopeOptions = {}): Promise<JobRecord> {
  const workspace = workspaceOf(opts)
  assertValidName(req.name, 'model')
  if (!req.trainingSet && !req.spine) throw new InvalidInput('give a training set, or a spine with features', { field: 'training_set' })
  const store = async (path: string, field: string): Promise<StoredFile> => {
    const info = await stat(path).catch(() => null)
    if (!info?.isFile()) throw new InvalidInput(`${field} ${path} does not exist or is not a regular file`, { field, got: path })
    const blob = await deps.artifacts.putFile(path)
    return { sha256: blob.sha256, file_name: basename(path) }
  }
  const trainer = await store(req.trainer, 'trainer')
  const trainingSet = req.trainingSet ? await store(req.trainingSet, 'training_set') : null
  const { name, trainer: _t, trainingSet: _s, onProgress: _p, signal: _a, ...request } = req
  const payload: TrainPayload = {
    model: name, trainer, training_set: trainingSet, blobs: [trainer.sha256, ...(trainingSet ? [trainingSet.sha256] : [])], request,
  }
  return deps.queue.enqueue(TRAIN_JOB, payload, { workspace })
}

/**
 * What running again would not change (bad input, a trainer that raises) fails the job at once;
 * the rest (a database away, an unexpected fault) is tried again.
 */
async function finalIfBadInput<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    if (isQuiverError(err) && err.code !== 'internal') {
      throw new FinalJobError(errorMessage(err), { cause: err })
    }
    throw err
  }
}

export function workJobHandlers(deps: WorkJobDeps): Record<string, JobHandler> {
  return {
    [MATERIALIZE_JOB]: async (job, ctx) => {
      const p = job.payload as { set: string; start: string | number | null; end: string | number | null }
      ctx.progress(0, `materializing ${p.set}`)
      return finalIfBadInput(deps.apis.features.materialize(p.set, { workspace: job.workspace, start: p.start ?? undefined, end: p.end ?? undefined }))
    },
    [EVALUATE_JOB]: async (job, ctx) => {
      const p = job.payload as { model: string; suite: string }
      return finalIfBadInput(deps.apis.evaluation.evaluate(p.model, { workspace: job.workspace, suite: p.suite, onProgress: (m) => ctx.progress(0.5, m) }))
    },
    [TRAIN_JOB]: async (job, ctx) => {
      const p = job.payload as TrainPayload
      const dir = await mkdtemp(join(tmpdir(), 'quiver-train-job-'))
      try {
        const fetch = async (f: StoredFile) => {
          const path = join(dir, basename(f.file_name))
          await copyFile(await deps.artifacts.localPath(f.sha256), path)
          return path
        }
        const trainer = await fetch(p.trainer)
        const trainingSet = p.training_set ? await fetch(p.training_set) : undefined
        const v: VersionRecord = await finalIfBadInput(deps.apis.training.train({
          ...p.request, name: p.model, trainer, trainingSet, signal: ctx.signal, onProgress: (m) => ctx.progress(0.5, m),
        }, { workspace: job.workspace }))
        const stillRead = await deps.queue.activeBlobs(job.id)
        for (const sha of p.blobs) {
          if (!stillRead.has(sha) && (await deps.blobReferences(sha)) === 0) await deps.artifacts.delete(sha).catch(() => {})
        }
        return v
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}
