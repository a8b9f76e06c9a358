/** What every request leaves behind once answered: one metrics observation and one log line, labelled only with what the caller may see. */
import { DEFAULT_WORKSPACE } from '../registry/registry.js'
import type { Principal } from './context.js'
import type { Logger } from './logger.js'
import type { ServerMetrics } from './metrics.js'
import type { KnownModels, RequestLabels } from './request-labels.js'

export interface AnsweredRequest {
  method: string
  /** The route pattern matched (`/v1/models/:ref/infer`), or `unmatched`. */
  route: string
  status: number
  seconds: number
  principal?: Principal
  requestedWorkspace?: string
  /** The model reference the request named. */
  model?: string
}

export interface RecorderDeps {
  metrics: ServerMetrics
  logger: Logger
  known: KnownModels
  authOn: boolean
}

export function requestRecorder(deps: RecorderDeps): (r: AnsweredRequest) => Promise<void> {
  const { metrics, logger, known, authOn } = deps
  return async (r) => {
    if (r.method === 'POST' && r.route === '/v1/models' && r.status === 201) known.forget(r.principal?.workspace ?? r.requestedWorkspace ?? DEFAULT_WORKSPACE)
    // With auth on, a request without a valid token is about nothing it may name.
    const labels: RequestLabels = authOn && !r.principal
      ? { workspace: '', model: '' }
      : await known.labels({ principalWorkspace: r.principal?.workspace, requestedWorkspace: r.requestedWorkspace, ref: r.model })
    metrics.observe(r.method, r.route, r.status, labels, r.seconds)
    logger.info('request', { method: r.method, route: r.route, status: r.status, ms: Math.round(r.seconds * 1e4) / 10, ...labels })
  }
}
