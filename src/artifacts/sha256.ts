import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { InvalidInput } from '../errors.js'

export const SHA256_RE = /^[0-9a-f]{64}$/

/** Lower-cases and checks a hex SHA-256 digest; anything else is refused (it also names files). */
export function assertSha256(value: string, field = 'sha256'): string {
  const lower = typeof value === 'string' ? value.toLowerCase() : value
  if (typeof lower !== 'string' || !SHA256_RE.test(lower)) {
    throw new InvalidInput(`${field} '${String(value)}' is not a hex SHA-256 digest`, {
      field, expected: '64 hex characters', got: String(value),
    })
  }
  return lower
}

/** The hex SHA-256 of a file's bytes, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
