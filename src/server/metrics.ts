/** Prometheus metrics of one server: request counts and latencies per route and model. */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

type RequestLabels = 'method' | 'route' | 'status' | 'model'

export class ServerMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<RequestLabels>
  readonly #duration: Histogram<Exclude<RequestLabels, 'status'>>
  readonly #inFlight: Counter<'route'>

  /** `processMetrics` adds the process's CPU, memory and event-loop lag (once per process). */
  constructor(opts: { processMetrics?: boolean } = {}) {
    this.#requests = new Counter({
      name: 'quiver_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern, status and model',
      labelNames: ['method', 'route', 'status', 'model'],
      registers: [this.registry],
    })
    this.#duration = new Histogram({
      name: 'quiver_http_request_duration_seconds',
      help: 'Time from request to response headers, by method, route pattern and model',
      labelNames: ['method', 'route', 'model'],
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

  observe(method: string, route: string, status: number, model: string | undefined, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status), model: model ?? '' })
    this.#duration.observe({ method, route, model: model ?? '' }, seconds)
  }

  refused(route: string): void {
    this.#inFlight.inc({ route })
  }

  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
