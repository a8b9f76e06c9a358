/** The app on a real socket, with graceful shutdown: stop accepting, let in-flight requests finish. */
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import type { AppEnv } from './context.js'
import type { FastLane } from './fast-lane.js'

export interface ServerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** How long `close()` waits for in-flight requests before cutting connections (default 10 s). */
  graceMs?: number
  /** Requests it takes are answered without the app. */
  fastLane?: FastLane
}

export interface RunningServer {
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  readonly url: string
  readonly port: number
  /** Stops accepting connections, waits for in-flight requests (up to the grace period), then resolves. */
  close(): Promise<void>
}

export async function startServer(app: Hono<AppEnv>, opts: ServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const lane = opts.fastLane
  const toApp = getRequestListener(app.fetch)
  const server = createServer(lane ? (req, res) => { if (!lane(req, res)) void toApp(req, res) } : toApp)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 8080, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Uploads of many gigabytes can take longer than Node's default 5-minute request timeout.
  server.requestTimeout = 0
  const port = (server.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), opts.graceMs ?? 10_000)
        timer.unref()
        server.close(() => {
          clearTimeout(timer)
          resolve()
        })
        // Keep-alive connections with no request in flight would otherwise hold close() open.
        server.closeIdleConnections()
      })
      return closing
    },
  }
}
