/**
 * A real S3-protocol server for tests (s3rver, in process, on a free loopback port) and a small
 * HTTP proxy in front of it that fails chosen requests on demand.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

/** s3rver's fixed key pair. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface TestS3 {
  endpoint: string
  /** s3rver's folder: `<dir>/<bucket>/…` */
  dir: string
  close(): Promise<void>
}

export async function startS3(buckets: string[]): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  })
  const addr = (await server.run()) as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    dir,
    async close() {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface RequestSeen {
  method: string
  url: string
  status: number
}

export interface FaultProxy {
  endpoint: string
  /** Every request that reached the proxy, with the status it answered. */
  seen: RequestSeen[]
  /**
   * Answers `status` (default 500 InternalError) to the next `times` requests that `match`
   * (Infinity: until `heal`), without forwarding them.
   */
  fail(match: (method: string, url: string) => boolean, times: number, status?: number): void
  heal(): void
  close(): Promise<void>
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  let rule: { match: (m: string, u: string) => boolean; left: number; status: number } | null = null
  const seen: RequestSeen[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    if (rule && rule.left > 0 && rule.match(method, url)) {
      rule.left--
      seen.push({ method, url, status: rule.status })
      req.resume()
      req.on('end', () => {
        res.writeHead(rule?.status ?? 500, { 'content-type': 'application/xml' })
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected failure</Message></Error>')
      })
      return
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers: req.headers },
      (up) => {
        seen.push({ method, url, status: up.statusCode ?? 0 })
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    out.on('error', () => { res.destroy() })
    req.pipe(out)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    fail(match, times, status = 500) { rule = { match, left: times, status } },
    heal() { rule = null },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
