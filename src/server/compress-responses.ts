/**
 * `Accept-Encoding: gzip|deflate` for large responses. Hono's `compress` decides by Content-Length,
 * which our in-memory bodies do not carry, so it would also compress a 20-byte answer; here the
 * body is measured first and only bodies past the threshold are compressed, on the thread pool.
 */
import { promisify } from 'node:util'
import { deflate, gzip } from 'node:zlib'
import type { MiddlewareHandler } from 'hono'

const gzipAsync = promisify(gzip)
const deflateAsync = promisify(deflate)

/** Below this size compression costs more time than it saves on the wire. */
export const COMPRESS_THRESHOLD_BYTES = 8 << 10

const COMPRESSIBLE = /^\s*(application\/(json|vnd\.apache\.arrow\.(stream|file)|octet-stream)|text\/)/i

export function compressLargeResponses(threshold = COMPRESS_THRESHOLD_BYTES): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const accepted = c.req.header('accept-encoding')
    if (!accepted) return
    const encoding = chooseEncoding(accepted)
    const res = c.res
    if (!encoding || !res.body || c.req.method === 'HEAD' || res.headers.has('content-encoding')) return
    if (!COMPRESSIBLE.test(res.headers.get('content-type') ?? '')) return
    const declared = Number(res.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared < threshold) return
    const bytes = new Uint8Array(await res.arrayBuffer())
    const headers = new Headers(res.headers)
    const vary = headers.get('vary')
    if (!vary || !/accept-encoding/i.test(vary)) headers.set('vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding')
    if (bytes.byteLength < threshold) {
      c.res = new Response(bytes, { status: res.status, headers })
      return
    }
    const body = await (encoding === 'gzip' ? gzipAsync : deflateAsync)(bytes)
    headers.set('content-encoding', encoding)
    headers.set('content-length', String(body.byteLength))
    c.res = new Response(body, { status: res.status, headers })
  }
}

/** gzip before deflate; an explicit `q=0` refuses an encoding. */
function chooseEncoding(header: string): 'gzip' | 'deflate' | undefined {
  let wildcard = false
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const weight = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = weight ? Number(weight.slice(2)) : 1
    if (name === '*') wildcard = value > 0
    else if (name) q.set(name, value)
  }
  for (const name of ['gzip', 'deflate'] as const) {
    const value = q.get(name)
    if (value === undefined ? wildcard : value > 0) return name
  }
  return undefined
}
