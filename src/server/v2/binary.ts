/**
 * The binary tensor data extension's framing: a JSON header of `Inference-Header-Content-Length`
 * bytes, then each binary tensor's bytes in the order the JSON lists them.
 */
import { InvalidInput } from '../../errors.js'
import type { InferenceRequest } from './types.js'

export const HEADER_LENGTH = 'inference-header-content-length'
export const BINARY_CONTENT_TYPE = 'application/octet-stream'

/** Splits a request body into its JSON text and its binary tail (empty without the header). */
export function splitBody(body: Uint8Array, headerLength: string | undefined): { json: Uint8Array; tail: Uint8Array } {
  if (headerLength === undefined) return { json: body, tail: body.subarray(body.byteLength) }
  const n = /^\d+$/.test(headerLength.trim()) ? Number(headerLength) : Number.NaN
  if (!Number.isSafeInteger(n) || n > body.byteLength) {
    throw new InvalidInput(
      `header Inference-Header-Content-Length must be a byte count within the body (${body.byteLength} bytes), got ${JSON.stringify(headerLength)}`,
      { field: 'Inference-Header-Content-Length', got: headerLength },
    )
  }
  return { json: body.subarray(0, n), tail: body.subarray(n) }
}

/** Hands each input that declares `binary_data_size` its slice of the tail, checking the sizes add up. */
export function binaryInputs(req: InferenceRequest, tail: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  let at = 0
  for (const input of req.inputs) {
    const size = input.parameters?.binary_data_size
    if (size === undefined) continue
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new InvalidInput(`input '${input.name}' parameter binary_data_size must be a byte count, got ${JSON.stringify(size)}`, { field: input.name })
    }
    if (input.data !== undefined) {
      throw new InvalidInput(`input '${input.name}' gives both data and binary_data_size; send one`, { field: input.name })
    }
    if (at + size > tail.byteLength) {
      throw new InvalidInput(
        `input '${input.name}' declares ${size} bytes of binary data but only ${tail.byteLength - at} remain after the JSON header`,
        { field: input.name, expected: `${size} bytes`, got: `${tail.byteLength - at} bytes` },
      )
    }
    out.set(input.name, tail.subarray(at, at + size))
    at += size
  }
  if (at !== tail.byteLength) {
    throw new InvalidInput(`the body has ${tail.byteLength - at} bytes after the JSON header that no input's binary_data_size accounts for`, {
      expected: `${at} bytes`, got: `${tail.byteLength} bytes`,
    })
  }
  return out
}
