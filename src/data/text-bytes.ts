/**
 * Text that must cross between UTF-8 bytes and JS strings unchanged: bytes that are not UTF-8
 * would decode to U+FFFD, and a lone UTF-16 surrogate would encode to EF BF BD. Both are found here
 * so that callers refuse them instead of changing them silently.
 */
import { isUtf8 } from 'node:buffer'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when `s` holds a surrogate without its pair (no UTF-8 form). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s)
}

/** The offset of the first byte that does not start valid UTF-8, or -1 when all of `bytes` is UTF-8. */
export function invalidUtf8At(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!
    const size = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (size === 0 || i + size > bytes.length || !isUtf8(bytes.subarray(i, i + size))) return i
    i += size
  }
  return bytes.length
}

/** `0xff at byte 3`: where bytes stop being UTF-8, for error messages. */
export function describeInvalidUtf8(bytes: Uint8Array, at: number): string {
  return at < bytes.length ? `byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8` : 'it ends inside a UTF-8 sequence'
}
