/** Prometheus metrics of one server: request counts and latencies per route, workspace and model. */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import type { RequestLabels } from './request-labels.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

type RequestLabelNames = 'method' | 'route' | 'status' | 'workspace' | 'model'

/** A sample line's workspace label; label values are escaped, so no value can forge one. */
const WORKSPACE_LABEL = /[{,]workspace="((?:[^"\\]|\\.)*)"/

export class ServerMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<RequestLabelNames>
  readonly #duration: Histogram<Exclude<RequestLabelNames, 'status'>>
  readonly #inFlight: Counter<'route'>

  /** `processMetrics` adds the process's CPU, memory and event-loop lag (once per process). */
  constructor(opts: { processMetrics?: boolean } = {}) {
    this.#requests = new Counter({
      name: 'quiver_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern, status, workspace and model',
      labelNames: ['method', 'route', 'status', 'workspace', 'model'],
      registers: [this.registry],
    })
    this.#duration = new Histogram({
      name: 'quiver_http_request_duration_seconds',
      help: 'Time from request to response headers, by method, route pattern, workspace and model',
      labelNames: ['method', 'route', 'workspace', 'model'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    })
    this.#inFlight = new Counter({
      name: 'quiver_http_requests_refused_total',
      help: 'Requests refused because the server was at its concurrency limit or shutting down',
      labelNames: ['route'],
      registers: [this.registry],
    })
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'quiver_' })
  }

  /** `labels` must come from the registry (see request-labels.ts), never from the request as is. */
  observe(method: string, route: string, status: number, labels: RequestLabels, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status), workspace: labels.workspace, model: labels.model })
    this.#duration.observe({ method, route, workspace: labels.workspace, model: labels.model }, seconds)
  }

  refused(route: string): void {
    this.#inFlight.inc({ route })
  }

  /**
   * The exposition text. With `workspace`, series of other workspaces are left out: what remains is
   * that workspace's series and the server-wide ones (no workspace label, or an empty one).
   */
  async render(workspace?: string): Promise<string> {
    const text = await this.registry.metrics()
    if (workspace === undefined) return text
    return text
      .split('\n')
      .filter((line) => {
        if (line.startsWith('#')) return true
        const m = WORKSPACE_LABEL.exec(line)
        return !m || m[1] === '' || m[1] === workspace
      })
      .join('\n')
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
