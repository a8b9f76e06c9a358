/** Requests to another registry, with one vocabulary of errors: unreachable, not there, refused. */
import { Readable } from 'node:stream'
import { errorMessage, NotFound, RuntimeFailure, Unsupported } from '../../errors.js'

const TIMEOUT_MS = 30_000

export interface RegistryTarget {
  /** The registry's name in this workspace, for messages. */
  name: string
  url: string
  /** The environment variable its token came from, for messages; null when it has none. */
  tokenEnv?: string | null
  headers?: Record<string, string>
}

async function request(target: RegistryTarget, path: string, what: string): Promise<Response> {
  const url = target.url.replace(/\/+$/, '') + path
  let res: Response
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...target.headers }, signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    throw new RuntimeFailure(`registry '${target.name}' at ${target.url} cannot be reached: ${cause?.code ?? errorMessage(err)}`, { registry: target.name, url: target.url })
  }
  if (res.ok) return res
  const text = await res.text().catch(() => '')
  if (res.status === 401 || res.status === 403) throw refusedToken(target, res.status, what, peerMessage(text))
  if (res.status === 404 || /RESOURCE_DOES_NOT_EXIST/.test(text)) throw new NotFound(`${what} does not exist in registry '${target.name}' (${target.url})`, { registry: target.name })
  throw new RuntimeFailure(`registry '${target.name}' answered HTTP ${res.status} for ${what}: ${peerMessage(text)}`, { registry: target.name, status: res.status })
}

export async function getJson<T>(target: RegistryTarget, path: string, what: string): Promise<T> {
  const res = await request(target, path, what)
  const text = await res.text()
  try {
    return JSON.parse(text) as T
  } catch {
    throw new RuntimeFailure(`registry '${target.name}' answered ${what} with something that is not JSON: ${JSON.stringify(text.slice(0, 80))}`)
  }
}

export async function getStream(target: RegistryTarget, path: string, what: string): Promise<AsyncIterable<Uint8Array>> {
  const res = await request(target, path, what)
  if (!res.body) throw new RuntimeFailure(`registry '${target.name}' answered ${what} with no body`)
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)
}

export async function getText(target: RegistryTarget, path: string, what: string): Promise<string> {
  return (await request(target, path, what)).text()
}

function refusedToken(target: RegistryTarget, status: number, what: string, message: string): Unsupported {
  const fix = target.tokenEnv
    ? `the token in ${target.tokenEnv} is not one it accepts`
    : `it needs a token: add a registry for it with quiver registry add NAME --type TYPE --url URL --token-env VAR, VAR holding a token that server accepts`
  return new Unsupported(`registry '${target.name}' (${target.url}) refused ${what} with HTTP ${status} (${message}): ${fix}`, { registry: target.name, status })
}

function peerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string }
    const m = typeof body.error === 'string' ? body.error : body.error?.message ?? body.message
    if (m) return m.slice(0, 300)
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || '(no message)'
}
