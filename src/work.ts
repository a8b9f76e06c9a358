/**
 * Composition root of `quiver worker`: the local core on a home folder (or PostgreSQL), taking
 * jobs — conversion, materialization, training, evaluation — and serving nothing over HTTP. On
 * SIGTERM it stops taking jobs, lets the running ones finish within the drain time, and hands
 * what is left back to the queue for another worker.
 */
import { createLocalQuiver } from './api/create-local.js'
import type { Abandoned } from './api/interrupted-conversions.js'
import { logJob } from './serve.js'
import { createLogger, SILENT_LOGGER, type LogLevel } from './server/logger.js'

export interface WorkerOptions {
  home: string
  /** Jobs run at once. */
  concurrency: number
  /** How long running jobs may take to finish once asked to stop. */
  drainMs: number
  logLevel: LogLevel | false
}

export interface RunningWorker {
  /** Stops taking jobs, drains the running ones (see `drainMs`), then closes the core. */
  close(): Promise<void>
}

/** How often a worker looks for versions that other processes died converting. */
const ABANDONED_SWEEP_MS = 60_000

export async function runWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const logger = opts.logLevel === false ? SILENT_LOGGER : createLogger({ level: opts.logLevel })
  const reportAbandoned = (failed: Abandoned[]) => {
    for (const f of failed) logger.warn('abandoned version moved to error', { workspace: f.workspace, model: f.name, seq: f.seq, error: f.message })
  }
  const api = await createLocalQuiver({ home: opts.home, onAbandoned: reportAbandoned, runJobs: 'none' })
  try {
    // Tag moves on other replicas reach the sessions this worker's jobs load.
    await api.followChanges((state, err) => {
      if (state === 'disconnected') logger.warn('change feed lost; reconnecting', { error: String(err ?? 'connection ended') })
    })
    const leaseMs = Number(process.env.QUIVER_JOB_LEASE_MS) || undefined
    api.startJobs({
      leaseMs, concurrency: opts.concurrency, onJob: logJob(logger),
      onError: (err) => logger.warn('job queue unavailable; retrying', { error: String(err) }),
    })
    logger.info('taking jobs', { leaseMs: leaseMs ?? 30_000, concurrency: opts.concurrency, embedded: api.embedded })
  } catch (err) {
    await api.close().catch(() => {})
    throw err
  }
  const sweep = setInterval(() => void api.failAbandonedVersions().then(reportAbandoned, () => {}), ABANDONED_SWEEP_MS)
  sweep.unref()
  return {
    async close() {
      clearInterval(sweep)
      await api.stopJobs({ drain: true, graceMs: opts.drainMs })
      await api.close()
      logger.info('stopped')
    },
  }
}
