/**
 * A multipart/form-data body produced as a stream: fields, then extra files, then the model file,
 * read from disk (or the caller's stream) chunk by chunk and never held whole.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { UploadSource } from '../api/quiver-api.js'
import { InvalidInput } from '../errors.js'

export interface FormPart {
  name: string
  value?: string
  file?: UploadSource
}

export interface MultipartBody {
  contentType: string
  body: AsyncIterable<Uint8Array>
  /** Total bytes when every file is a path (so Content-Length can be sent), else undefined. */
  length: number | undefined
}

const CRLF = '\r\n'

function quote(s: string): string {
  return s.replace(/[\r\n"]/g, (c) => encodeURIComponent(c))
}

function fileName(source: UploadSource): string {
  return 'path' in source ? basename(source.path) : source.fileName
}

/** Checks that path sources exist, then lays the parts out as a lazily-read body. */
export async function multipartBody(parts: FormPart[]): Promise<MultipartBody> {
  const boundary = `quiver-${randomBytes(12).toString('hex')}`
  let length: number | undefined = 0
  const heads: Buffer[] = []
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${quote(part.name)}"`
    const head = part.file
      ? `--${boundary}${CRLF}${disposition}; filename="${quote(fileName(part.file))}"${CRLF}Content-Type: application/octet-stream${CRLF}${CRLF}`
      : `--${boundary}${CRLF}${disposition}${CRLF}${CRLF}${part.value ?? ''}`
    heads.push(Buffer.from(head, 'utf8'))
    length! += heads.at(-1)!.byteLength + CRLF.length
    if (part.file && 'path' in part.file) {
      const info = await stat(part.file.path).catch(() => null)
      if (!info?.isFile()) throw new InvalidInput(`file ${part.file.path} does not exist or is not a regular file`, { field: 'file', got: part.file.path })
      if (length !== undefined) length += info.size
    } else if (part.file) {
      length = undefined
    }
  }
  const tail = Buffer.from(`--${boundary}--${CRLF}`, 'utf8')
  if (length !== undefined) length += tail.byteLength
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < parts.length; i++) {
      yield heads[i]!
      const file = parts[i]!.file
      if (file) {
        const stream = 'path' in file ? createReadStream(file.path, { highWaterMark: 1 << 20 }) : file.stream
        for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk
      }
      yield Buffer.from(CRLF)
    }
    yield tail
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body(), length }
}
