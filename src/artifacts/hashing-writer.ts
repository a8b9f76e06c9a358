import { createHash } from 'node:crypto'
import { open, unlink, type FileHandle } from 'node:fs/promises'
import { InvalidInput, TooLarge } from '../errors.js'
import type { BlobRef, PutOptions } from './artifact-store.js'

export type BlobSource = AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream

/**
 * Streams `body` into a new file at `path` while hashing it, enforces `maxBytes` and
 * `expectedSha256`, and fsyncs. On any failure, including a source that errors midway, the file
 * is removed before the error is rethrown.
 */
export async function writeHashed(body: BlobSource, path: string, opts: PutOptions = {}): Promise<BlobRef> {
  const hash = createHash('sha256')
  let size = 0
  const fh = await open(path, 'wx', 0o644)
  try {
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        size += bytes.byteLength
        if (opts.maxBytes !== undefined && size > opts.maxBytes) {
          throw new TooLarge(`artifact is larger than the limit of ${opts.maxBytes} bytes`, { maxBytes: opts.maxBytes })
        }
        hash.update(bytes)
        await writeAll(fh, bytes)
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
    const sha256 = hash.digest('hex')
    if (opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256.toLowerCase()) {
      throw new InvalidInput(`artifact bytes hash to ${sha256}, expected ${opts.expectedSha256}`, {
        field: 'sha256', expected: opts.expectedSha256, got: sha256,
      })
    }
    return { sha256, size }
  } catch (err) {
    await unlink(path).catch(() => {})
    throw err
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset)
    offset += bytesWritten
  }
}
