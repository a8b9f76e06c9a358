/** Request bodies read under a byte limit, and JSON parsed with an error that says where it broke. */
import { promisify } from 'node:util'
import { gunzip, inflate } from 'node:zlib'
import { HTTPException } from 'hono/http-exception'
import { parseExactJson } from '../data/exact-json.js'
import { checkJsonDepth } from '../data/json-depth.js'
import { InvalidInput, TooLarge, errorMessage } from '../errors.js'

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)

/** Megabytes, for messages. */
export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`
  return `${n} bytes`
}

export function tooLarge(limit: number, got?: number): TooLarge {
  const size = got === undefined ? 'more' : formatBytes(got)
  return new TooLarge(`request body is larger than the limit of ${formatBytes(limit)} (got ${size}); raise --max-body or send less`, {
    limit, got,
  })
}

/**
 * Reads the whole body, refusing with TooLarge as soon as it passes `limit` bytes (before reading
 * anything when Content-Length already says so). A `Content-Encoding: gzip|deflate` body is
 * decoded (on the thread pool, not the event loop) and its decoded size is held to the same limit,
 * so everything downstream, the V2 binary header length included, sees the decoded bytes.
 */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const encoding = contentEncoding(req.headers.get('content-encoding'))
  const raw = await readRawBody(req, limit)
  return encoding === 'identity' ? raw : decodeBody(raw, encoding, limit)
}

type BodyEncoding = 'identity' | 'gzip' | 'deflate'

function contentEncoding(header: string | null): BodyEncoding {
  const value = (header ?? '').trim().toLowerCase()
  if (value === '' || value === 'identity') return 'identity'
  if (value === 'gzip' || value === 'x-gzip') return 'gzip'
  if (value === 'deflate') return 'deflate'
  throw new HTTPException(415, {
    message: `Content-Encoding '${header}' is not supported; send the body as identity, gzip or deflate`,
  })
}

async function decodeBody(raw: Uint8Array, encoding: 'gzip' | 'deflate', limit: number): Promise<Uint8Array> {
  try {
    const decode = encoding === 'gzip' ? gunzipAsync : inflateAsync
    return await decode(raw, { maxOutputLength: limit })
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new TooLarge(`the ${encoding} request body decodes to more than the limit of ${formatBytes(limit)}; raise --max-body or send less`, {
        limit, encoding,
      })
    }
    throw new InvalidInput(`the request body is not valid ${encoding} data (Content-Encoding: ${encoding}): ${errorMessage(err)}`, {
      field: 'body',
    })
  }
}

async function readRawBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, declared)
  // With a declared length the HTTP parser already bounds the body, and arrayBuffer() lets the
  // Node adapter read the socket directly instead of through a web stream (much cheaper).
  if (Number.isFinite(declared)) return new Uint8Array(await req.arrayBuffer())
  if (!req.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  return Buffer.concat(chunks, total)
}

/** Parses JSON text; a syntax error names the position and what the body was for. */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  if (bytes.byteLength === 0) throw new InvalidInput(`${what} is empty; expected a JSON document`, { field: 'body' })
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  checkJsonDepth(text, what)
  try {
    return parseExactJson(text)
  } catch (err) {
    throw new InvalidInput(`${what} is not valid JSON: ${errorMessage(err)}`, { field: 'body' })
  }
}

/** The media type of a Content-Type or Accept entry, lower-cased and without parameters. */
export function mediaType(header: string | null | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase()
}
