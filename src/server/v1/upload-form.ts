/**
 * `POST /v1/models` as multipart/form-data, streamed: fields first, then any `additional_file.NAME`
 * parts (spooled to a temporary folder), then the model `file` last. The model bytes flow from the
 * socket into the artifact store as they arrive; the stream handed to the store only ends once the
 * whole form has parsed, so a form that breaks off or goes on after the file fails the store's put,
 * which leaves no blob and no version.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import type { UploadRequest } from '../../api/quiver-api.js'
import type { Framework, Arch } from '../../records/frameworks.js'
import type { ModelSchema } from '../../data/schema.js'
import { InvalidInput, errorMessage, isQuiverError } from '../../errors.js'
import { mediaType, tooLarge } from '../body.js'
import { checkJsonDepth } from '../../data/json-depth.js'
import { inputLimits, limitExceeded } from '../../data/input-limits.js'

export const UPLOAD_FIELDS = [
  'name', 'framework', 'input_schema', 'output_schema', 'tag', 'description', 'meta', 'no_wait', 'trust',
  'tensor_fields', 'arch', 'accel',
] as const
const ADDITIONAL_PREFIX = 'additional_file.'

export interface UploadFormOptions {
  maxUploadBytes: number
  workspace?: string
}

/**
 * Parses the form and calls `upload` with the request as soon as the model file part starts. Resolves
 * with what `upload` returned; rejects with InvalidInput for a malformed form, TooLarge past the limit.
 */
export async function receiveUpload<T>(
  request: Request,
  opts: UploadFormOptions,
  upload: (req: UploadRequest) => Promise<T>,
): Promise<T> {
  const type = request.headers.get('content-type') ?? ''
  if (mediaType(type) !== 'multipart/form-data' || !request.body) {
    throw new InvalidInput(
      `an upload is multipart/form-data with fields (name, framework, …) and a file part 'file'; got Content-Type ${JSON.stringify(type || 'none')}`,
      { field: 'content-type', expected: 'multipart/form-data', got: type },
    )
  }
  const spool = await mkdtemp(join(tmpdir(), 'quiver-upload-'))
  try {
    return await parseForm(request.body, type, opts, spool, upload)
  } finally {
    await rm(spool, { recursive: true, force: true })
  }
}

function parseForm<T>(
  body: ReadableStream<Uint8Array>,
  contentType: string,
  opts: UploadFormOptions,
  spool: string,
  upload: (req: UploadRequest) => Promise<T>,
): Promise<T> {
  const { maxFieldBytes } = inputLimits()
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { fieldSize: maxFieldBytes, fields: 256, files: 64, fileSize: opts.maxUploadBytes },
      })
    } catch (err) {
      return reject(new InvalidInput(`malformed multipart/form-data header: ${errorMessage(err)}`, { field: 'content-type' }))
    }
    const fields = new Map<string, string[]>()
    const additional: Record<string, { path: string }> = {}
    const spooling: Promise<void>[] = []
    let formError: unknown
    let started: Promise<T> | undefined
    let settleForm!: (err?: unknown) => void
    const formDone = new Promise<void>((res, rej) => (settleForm = (err) => (err ? rej(err) : res())))
    formDone.catch(() => {})
    const fail = (err: unknown) => {
      formError ??= formErrorOf(err)
      settleForm(formError)
      parser.destroy()
      if (!started) reject(formError)
    }

    parser.on('field', (name, value, info) => {
      // busboy cuts a field at fieldSize and says so only here: refuse rather than store a part of it.
      if (info.valueTruncated) {
        return fail(limitExceeded(`form field '${name}'`, 'maxFieldBytes', maxFieldBytes, `more than ${maxFieldBytes}`))
      }
      if (started) return fail(new InvalidInput(`form field '${name}' comes after the file part; send every field before 'file'`, { field: name }))
      if (!(UPLOAD_FIELDS as readonly string[]).includes(name)) {
        return fail(new InvalidInput(`unknown form field '${name}'; known fields: ${UPLOAD_FIELDS.join(', ')}, file, ${ADDITIONAL_PREFIX}NAME`, { field: name }))
      }
      fields.set(name, [...(fields.get(name) ?? []), value])
    })
    parser.on('file', (name, stream, info) => {
      // Errors of the part's stream reach the store through guardedStream; this keeps them from
      // also surfacing as unhandled once the parser is torn down.
      stream.on('error', () => {})
      // busboy still touches the stream after 'limit' returns: fail on the next turn.
      stream.once('limit', () => setImmediate(() => fail(tooLarge(opts.maxUploadBytes))))
      if (started) {
        stream.resume()
        return fail(new InvalidInput(`form part '${name}' comes after the file part; 'file' must be the last part`, { field: name }))
      }
      if (name.startsWith(ADDITIONAL_PREFIX) && name.length > ADDITIONAL_PREFIX.length) {
        const key = name.slice(ADDITIONAL_PREFIX.length)
        const path = join(spool, String(spooling.length))
        additional[key] = { path }
        spooling.push(pipeline(stream, createWriteStream(path)).catch((err) => fail(err)))
        return
      }
      if (name !== 'file') {
        stream.resume()
        return fail(new InvalidInput(`unknown file part '${name}'; send the model as 'file' and extra files as '${ADDITIONAL_PREFIX}NAME'`, { field: name }))
      }
      let req: UploadRequest
      try {
        req = buildRequest(fields, additional, opts.workspace)
      } catch (err) {
        stream.resume()
        return fail(err)
      }
      req.source = { stream: guardedStream(stream, formDone, opts.maxUploadBytes, fail), fileName: info.filename || 'model' }
      started = Promise.all(spooling).then(() => upload(req))
      started.then(
        (v) => (formError ? reject(formError) : resolve(v)),
        (err) => {
          // The core refused before reading everything (a bad name, schema, …): stop reading the body.
          stream.resume()
          parser.destroy()
          reject(formError ?? err)
        },
      )
    })
    parser.on('error', fail)
    for (const what of ['fieldsLimit', 'filesLimit'] as const) {
      parser.on(what, () => fail(new InvalidInput(`the upload form has too many ${what === 'fieldsLimit' ? 'fields' : 'files'}`, { field: 'body' })))
    }
    parser.on('close', () => {
      if (!started) return fail(new InvalidInput(`the upload form has no file part 'file'; send the model file as 'file', after the fields`, { field: 'file' }))
      settleForm()
    })
    Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>).on('error', fail).pipe(parser)
  })
}

/**
 * The model bytes as the store sees them: counted against the limit, and only finished once the
 * rest of the form is known to be complete and well formed.
 */
async function* guardedStream(
  stream: NodeJS.ReadableStream,
  formDone: Promise<void>,
  limit: number,
  fail: (err: unknown) => void,
): AsyncGenerator<Uint8Array> {
  let total = 0
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength
      if (total > limit) throw tooLarge(limit)
      yield chunk
    }
  } catch (err) {
    fail(err)
  }
  await formDone
}

function formErrorOf(err: unknown): unknown {
  if (isQuiverError(err)) return err
  return new InvalidInput(`the upload broke off before the form was complete (${errorMessage(err)}); nothing was stored`, { field: 'body' })
}

function one(fields: Map<string, string[]>, name: string): string | undefined {
  const values = fields.get(name)
  if (values && values.length > 1) throw new InvalidInput(`form field '${name}' is given ${values.length} times; it takes one value`, { field: name })
  return values?.[0]
}

function jsonField(fields: Map<string, string[]>, name: string): unknown {
  const text = one(fields, name)
  if (text === undefined) return undefined
  checkJsonDepth(text, `form field '${name}'`)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidInput(`form field '${name}' is not valid JSON: ${errorMessage(err)}`, { field: name })
  }
}

function boolField(fields: Map<string, string[]>, name: string): boolean {
  const text = one(fields, name)
  if (text === undefined || text === '' || /^(false|0|no)$/i.test(text)) return false
  if (/^(true|1|yes)$/i.test(text)) return true
  throw new InvalidInput(`form field '${name}' must be true or false, got ${JSON.stringify(text)}`, { field: name, got: text })
}

function buildRequest(fields: Map<string, string[]>, additional: Record<string, { path: string }>, workspace?: string): UploadRequest {
  const name = one(fields, 'name')
  if (!name) throw new InvalidInput(`the upload form needs a 'name' field (the model name) before the file part`, { field: 'name' })
  const framework = one(fields, 'framework')
  if (!framework) throw new InvalidInput(`the upload form needs a 'framework' field (onnx, sklearn, …) before the file part`, { field: 'framework' })
  const meta = jsonField(fields, 'meta')
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) {
    throw new InvalidInput(`form field 'meta' must be a JSON object, got ${Array.isArray(meta) ? 'an array' : JSON.stringify(meta)}`, { field: 'meta' })
  }
  const tensorFields = one(fields, 'tensor_fields')
  return {
    name,
    framework: framework as Framework,
    source: { path: '' },
    workspace,
    inputSchema: jsonField(fields, 'input_schema') as ModelSchema | undefined,
    outputSchema: jsonField(fields, 'output_schema') as ModelSchema | undefined,
    tags: fields.get('tag') ?? [],
    description: one(fields, 'description'),
    metadata: meta as Record<string, unknown> | undefined,
    additionalFiles: Object.keys(additional).length ? additional : undefined,
    tensorFields: tensorFields ? parseNames(tensorFields) : undefined,
    arch: one(fields, 'arch') as Arch | undefined,
    accel: one(fields, 'accel'),
    noWait: boolField(fields, 'no_wait'),
    trust: boolField(fields, 'trust'),
  }
}

function parseNames(text: string): string[] {
  if (text.trim().startsWith('[')) {
    checkJsonDepth(text, `form field 'tensor_fields'`)
    const v = (() => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        return null
      }
    })()
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      throw new InvalidInput(`form field 'tensor_fields' must be a JSON array of names or a comma-separated list`, { field: 'tensor_fields' })
    }
    return v
  }
  return text.split(',').map((s) => s.trim()).filter(Boolean)
}
