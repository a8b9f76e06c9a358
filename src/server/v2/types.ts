/**
 * Open Inference Protocol (KServe V2) shapes, spelled as the protocol spells them, and the binary
 * tensor data extension's parameters (`binary_data_size`, `binary_data`, `binary_data_output`).
 */
import { z } from 'zod'
import { InvalidInput } from '../../errors.js'
import type { TensorElementType } from '../../data/tensor.js'

export const V2_DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
] as const
export type Datatype = (typeof V2_DATATYPES)[number]

/** V2 datatype → tensor element type; BYTES is a string (or, for a `binary` field, raw bytes). */
export const ELEMENT_TYPE: Readonly<Record<Datatype, TensorElementType>> = Object.freeze({
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  FP16: 'float16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
})

export const DATATYPE: Readonly<Record<TensorElementType, Datatype>> = Object.freeze(
  Object.fromEntries(Object.entries(ELEMENT_TYPE).map(([d, t]) => [t, d])) as Record<TensorElementType, Datatype>,
)

/** Bytes per element in the binary extension (BYTES is length-prefixed, so it has none). */
export const ELEMENT_SIZE: Readonly<Record<Exclude<Datatype, 'BYTES'>, number>> = Object.freeze({
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
})

export function isDatatype(s: string): s is Datatype {
  return (V2_DATATYPES as readonly string[]).includes(s)
}

const parameters = z.record(z.string(), z.unknown())

const requestInput = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  parameters: parameters.optional(),
  data: z.unknown().optional(),
})

const requestOutput = z.object({
  name: z.string().min(1),
  parameters: parameters.optional(),
})

const inferenceRequest = z.object({
  id: z.string().optional(),
  parameters: parameters.optional(),
  // A model may take no inputs at all (a tensor model computing constants).
  inputs: z.array(requestInput),
  outputs: z.array(requestOutput).optional(),
})

export type Parameters = z.infer<typeof parameters>
export type RequestInput = z.infer<typeof requestInput>
export type RequestOutput = z.infer<typeof requestOutput>
export type InferenceRequest = z.infer<typeof inferenceRequest>

export interface MetadataTensor {
  name: string
  datatype: Datatype
  shape: number[]
}

export interface ResponseOutput {
  name: string
  shape: number[]
  datatype: Datatype
  parameters?: Parameters
  data?: unknown[]
}

export interface InferenceResponse {
  model_name: string
  model_version?: string
  id: string
  parameters?: Parameters
  outputs: ResponseOutput[]
}

export interface ModelMetadataResponse {
  name: string
  versions: string[]
  platform: string
  inputs: MetadataTensor[]
  outputs: MetadataTensor[]
  parameters?: Parameters
}

export interface ServerMetadataResponse {
  name: string
  version: string
  extensions: string[]
}

/** Validates a decoded JSON body as an inference request; the first problem becomes one sentence. */
export function parseInferenceRequest(value: unknown): InferenceRequest {
  const parsed = inferenceRequest.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : 'request'
  throw new InvalidInput(`invalid inference request: ${path}: ${issue.message}`, { field: path })
}
