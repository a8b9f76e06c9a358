/**
 * The HTTP door: REST `/v1`, the Open Inference Protocol under `/v2`, `/openapi.json` and
 * `/metrics`, as one Hono app over a `QuiverApi`. Handlers parse, authorize and format; the core
 * does the rest.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { routePath } from 'hono/route'
import type { QuiverApi } from '../api/quiver-api.js'
import { NotFound } from '../errors.js'
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import { bearerAuth, type TokenVerifier } from './auth.js'
import { compressLargeResponses } from './compress-responses.js'
import { WORKSPACE_HEADER, type AppEnv, type ServerDeps, type ServerLimits } from './context.js'
import { doorOf, errorResponse } from './errors.js'
import { inferenceFastLane, type FastLane } from './fast-lane.js'
import { SILENT_LOGGER, type Logger } from './logger.js'
import { ServerMetrics } from './metrics.js'
import { openApiDocument } from './openapi.js'
import { KnownModels } from './request-labels.js'
import { requestRecorder } from './request-record.js'
import { featureRoutes } from './v1/features.js'
import { offlineFeatureRoutes } from './v1/offline-features.js'
import { evaluationRoutes } from './v1/evaluation.js'
import { featureFetchRoutes } from './v1/feature-fetch.js'
import { trainingRoutes } from './v1/training.js'
import { jobRoutes } from './v1/jobs.js'
import { modelRoutes } from './v1/models.js'
import { pipelineRoutes } from './v1/pipelines.js'
import { registryRoutes } from './v1/registries.js'
import { tokenRoutes, type TokenAdmin } from './v1/tokens.js'
import { v2Routes } from './v2/routes.js'
import { webUiRoutes, whoamiRoute } from './web-ui.js'

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBodyBytes: 64 << 20,
  maxUploadBytes: 64 * 2 ** 30,
})

export interface AppOptions {
  api: QuiverApi
  /** With a verifier every route but `/v2/health/*` needs `Authorization: Bearer TOKEN`. */
  auth?: TokenVerifier
  /** Token administration (`/v1/tokens`), for owners; absent → those routes answer 501. */
  tokens?: TokenAdmin
  logger?: Logger
  limits?: Partial<ServerLimits>
  metrics?: ServerMetrics
  /** What `/v2/health/ready` answers (Triton's `--strict-readiness`); default always ready. */
  ready?: () => boolean
}

export interface QuiverApp {
  app: Hono<AppEnv>
  metrics: ServerMetrics
  /** Inference requests answered before the app (see fast-lane.ts); none with auth on. */
  fastLane?: FastLane
}

/**
 * Builds the app. Serve it with `startServer`, or call `app.request()` in process.
 *
 * @example
 * const { app } = createApp({ api: await createLocalQuiver({ home: '.quiver' }) })
 * const res = await app.request('/v2/health/live')
 */
export function createApp(opts: AppOptions): QuiverApp {
  const logger = opts.logger ?? SILENT_LOGGER
  const metrics = opts.metrics ?? new ServerMetrics()
  const deps: ServerDeps = { api: opts.api, logger, limits: { ...DEFAULT_LIMITS, ...defined(opts.limits) }, ready: opts.ready ?? (() => true) }
  const known = new KnownModels(async (ws) => (await opts.api.listModels({ workspace: ws })).map((m) => m.name))
  const record = requestRecorder({ metrics, logger, known, authOn: opts.auth !== undefined })
  // strict: false → `/v2/` and `/v1/models/` answer like `/v2` and `/v1/models`, as Triton's do.
  const app = new Hono<AppEnv>({ strict: false })

  app.use('*', async (c, next) => {
    const start = performance.now()
    await next()
    const matched = routePath(c, -1)
    await record({
      method: c.req.method, route: matched === '*' || matched === '/*' ? 'unmatched' : matched, status: c.res.status,
      seconds: (performance.now() - start) / 1000, principal: c.get('principal'), requestedWorkspace: requestedWorkspace(c.req.raw), model: c.get('model'),
    })
  })
  app.use('*', compressLargeResponses())
  app.use('*', methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = methods.join(', ')
      const res = errorResponse(doorOf(c.req.path), new HTTPException(405, { message: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}` }))
      res.headers.set('allow', allow)
      return res
    },
  }))
  app.route('/', webUiRoutes())
  if (opts.auth) app.use('*', bearerAuth(opts.auth))

  app.route('/v1', modelRoutes(deps))
  app.route('/v1', tokenRoutes(deps, opts.tokens))
  app.route('/v1', offlineFeatureRoutes(deps))
  app.route('/v1', featureRoutes(deps))
  app.route('/v1', featureFetchRoutes(deps))
  app.route('/v1', pipelineRoutes(deps))
  app.route('/v1', registryRoutes(deps))
  app.route('/v1', whoamiRoute(Boolean(opts.auth)))
  app.route('/v1', evaluationRoutes(deps))
  app.route('/v1', trainingRoutes(deps))
  app.route('/v1', jobRoutes(deps))
  app.route('/v2', v2Routes(deps))
  // A token sees its own workspace's series and the server-wide ones, never another workspace's.
  app.get('/metrics', async (c) => c.body(await metrics.render(c.get('principal')?.workspace), 200, { 'content-type': metrics.contentType }))
  app.get('/openapi.json', (c) => c.json(openApiDocument()))

  app.notFound((c) => errorResponse(doorOf(c.req.path), new NotFound(`no route for ${c.req.method} ${c.req.path}; see /openapi.json`)))
  app.onError((err, c) => errorResponse(doorOf(c.req.path), err, logger))
  const fastLane = opts.auth ? undefined : inferenceFastLane(deps, record)
  return { app, metrics, fastLane }
}

function requestedWorkspace(req: Request): string | undefined {
  return new URL(req.url).searchParams.get('workspace') || req.headers.get(WORKSPACE_HEADER) || undefined
}

/** Drops undefined entries so that they do not override defaults. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
}
