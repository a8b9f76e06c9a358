/**
 * Composition root of `quiver serve`: the local core on a home folder, put behind the HTTP app on a
 * socket. It lives outside the rooms because it is the one place that wires `api/` and `server/`
 * together; the command line only calls it.
 */
import { createLocalQuiver } from './api/create-local.js'
import type { Abandoned } from './api/interrupted-conversions.js'
import { createApp } from './server/app.js'
import { startServer } from './server/http-server.js'
import { createLogger, SILENT_LOGGER, type Logger, type LogLevel } from './server/logger.js'
import type { StartJobsOptions } from './api/local-api.js'
import { ServerMetrics } from './server/metrics.js'

export interface ServeOptions {
  home: string
  host: string
  port: number
  /** Require `Authorization: Bearer` on every route but health. */
  auth: boolean
  maxBodyBytes?: number
  maxUploadBytes?: number
  /** Structured request logs on stderr at this level; `false` for none. */
  logLevel: LogLevel | false
  /**
   * Start every deployed pipeline at once and answer `/v2/health/ready` with 503 until all of them
   * are loaded (and for good if one cannot load), as Triton's `--strict-readiness`.
   */
  strictReadiness?: boolean
}

export interface ServingQuiver {
  url: string
  /** Settles once strict readiness has started every deployment (at once without it): whether all of them loaded. */
  deploymentsStarted: Promise<boolean>
  /** Stops accepting requests, finishes in-flight ones, then closes the core. */
  close(): Promise<void>
}

/** One log line when this process starts a job and one when it ends. */
export function logJob(logger: Logger): NonNullable<StartJobsOptions['onJob']> {
  return (job, phase, state) => {
    const fields = { job: job.id, kind: job.kind, workspace: job.workspace, attempt: job.attempts }
    if (phase === 'started') logger.info('job started', fields)
    else if (state === 'failed') logger.warn('job failed', { ...fields, error: job.error })
    else logger.info('job ended', { ...fields, state })
  }
}

/** How often a server looks for versions that other processes (replicas) died converting. */
const ABANDONED_SWEEP_MS = 60_000

export async function serveQuiver(opts: ServeOptions): Promise<ServingQuiver> {
  const logger = opts.logLevel === false ? SILENT_LOGGER : createLogger({ level: opts.logLevel })
  const reportAbandoned = (failed: Abandoned[]) => {
    for (const f of failed) logger.warn('abandoned version moved to error', { workspace: f.workspace, model: f.name, seq: f.seq, error: f.message })
  }
  const api = await createLocalQuiver({ home: opts.home, onAbandoned: reportAbandoned, runJobs: 'none' })
  // Replicas sharing PostgreSQL hear each other's tag moves, deploys and revocations at once.
  await api.followChanges((state, err) => {
    if (state === 'disconnected') logger.warn('change feed lost; reconnecting', { error: String(err ?? 'connection ended') })
    else logger.info('change feed connected')
  }).catch(async (err) => {
    await api.close().catch(() => {})
    throw err
  })
  // Every replica takes jobs (conversions …) any of them enqueued; embedded, the one server runs them all.
  const leaseMs = Number(process.env.QUIVER_JOB_LEASE_MS) || undefined
  if (api.startJobs({ leaseMs, onError: (err) => logger.warn('job queue unavailable; retrying', { error: String(err) }), onJob: logJob(logger) })) {
    logger.info('taking jobs', { leaseMs: leaseMs ?? 30_000 })
  }
  // On a shared PostgreSQL another replica may die mid-conversion while this one runs.
  const sweep = setInterval(() => void api.failAbandonedVersions().then(reportAbandoned, () => {}), ABANDONED_SWEEP_MS)
  sweep.unref()
  try {
    const auth = api.auth
    let ready = !opts.strictReadiness
    const deploymentsStarted = !opts.strictReadiness ? Promise.resolve(true) : api.pipelines.startDeployments().then((failed) => {
      for (const f of failed) logger.error('deployment could not start; not ready', { workspace: f.workspace, pipeline: f.name, error: f.error })
      ready = failed.length === 0
      if (ready) logger.info('every deployment is loaded; ready')
      return ready
    }, (err: unknown) => {
      logger.error('deployments could not be listed; not ready', { error: String(err) })
      return false
    })
    const { app, fastLane } = createApp({
      api,
      auth: opts.auth ? (token) => auth.verifyToken(token) : undefined,
      tokens: auth,
      logger,
      limits: { maxBodyBytes: opts.maxBodyBytes, maxUploadBytes: opts.maxUploadBytes },
      metrics: new ServerMetrics({ processMetrics: true }),
      ready: () => ready,
    })
    const server = await startServer(app, { host: opts.host, port: opts.port, fastLane })
    logger.info('listening', { url: server.url, auth: opts.auth, home: opts.home })
    return {
      url: server.url,
      deploymentsStarted,
      async close() {
        clearInterval(sweep)
        await server.close()
        await api.close()
      },
    }
  } catch (err) {
    clearInterval(sweep)
    await api.close().catch(() => {})
    throw err
  }
}
