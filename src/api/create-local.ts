import { join, resolve } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { openArtifactStore } from '../artifacts/open-artifacts.js'
import { openMetadataStore } from '../store/open-store.js'
import type { Abandoned } from './interrupted-conversions.js'
import { LocalQuiverApi, type StartJobsOptions } from './local-api.js'

export interface LocalQuiverOptions {
  /** The embedded installation's folder (PGlite database, artifacts). */
  home: string
  /** PostgreSQL instead of PGlite; defaults to `QUIVER_DATABASE_URL`. */
  databaseUrl?: string
  /**
   * Which queued jobs (conversions of `noWait` uploads …) this process runs while it holds an
   * embedded home: `all` (default; as `quiver serve` and `quiver worker`), `earlier` (those queued
   * before it opened, run by `close()`: a one-shot command), or `none`. On
   * PostgreSQL jobs run only where `startJobs` is called (replicas and workers).
   */
  runJobs?: 'all' | 'earlier' | 'none'
  /** Told when this process starts and ends a job. */
  onJob?: StartJobsOptions['onJob']
  /** Told of versions that processes which died had left unfinished, now moved to `error`. */
  onAbandoned?: (failed: Abandoned[]) => void
}

export { defaultHome } from './default-home.js'

/**
 * Opens Quiver in this process on its embedded defaults (PGlite and files under `home`), or on
 * PostgreSQL when a database URL is given. Versions left unfinished by a process that died are
 * moved to `error` on the way; embedded, queued jobs run in this process (see `runJobs`).
 *
 * @example
 * const quiver = await createLocalQuiver({ home: './.quiver' })
 * await quiver.uploadModel({ name: 'iris', source: { path: 'model.onnx' }, framework: 'onnx' })
 * const result = await quiver.infer('iris', { kind: 'json', value: [{ features: [5.1, 3.5, 1.4, 0.2] }] })
 */
export async function createLocalQuiver(opts: LocalQuiverOptions): Promise<LocalQuiverApi> {
  const home = resolve(opts.home)
  await mkdir(home, { recursive: true })
  const databaseUrl = opts.databaseUrl ?? process.env.QUIVER_DATABASE_URL ?? undefined
  const store = await openMetadataStore({ home, databaseUrl: databaseUrl || undefined })
  const api = new LocalQuiverApi({
    store,
    artifacts: openArtifactStore({ home }),
    logsDir: join(home, 'logs'),
    onlineDir: join(home, 'online'),
  })
  try {
    // First the jobs the dead holder was running go back to the queue: their versions are not abandoned.
    await api.recoverJobsOfDeadHolder()
    const failed = await api.failAbandonedVersions()
    if (failed.length) opts.onAbandoned?.(failed)
    const runJobs = opts.runJobs ?? 'all'
    if (api.embedded && runJobs === 'all') api.startJobs({ onJob: opts.onJob })
    if (api.embedded && runJobs === 'earlier') api.startJobs({ onJob: opts.onJob, maxJobId: await api.lastJobId() })
  } catch (err) {
    await api.close().catch(() => {})
    throw err
  }
  return api
}
