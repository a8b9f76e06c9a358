/** `/v1` inference as plain values: a body in the form its Content-Type names, the answer in the form Accept (or `?format=`) asks. */
import type { QuiverApi, ScopeOptions } from '../../api/quiver-api.js'
import { writeTableOrText } from '../../data/table-output.js'
import type { Answer } from '../answer.js'
import { inferInputOf, OUTPUT_MEDIA, outputFormatOf } from './infer-format.js'

export interface V1InferRequest {
  contentType: string | undefined
  accept: string | undefined
  /** `?format=` */
  format: string | undefined
  body: Uint8Array
}

export async function v1InferAnswer(api: QuiverApi, ref: string, scope: ScopeOptions, req: V1InferRequest): Promise<Answer> {
  const format = outputFormatOf(req.format, req.accept)
  const input = inferInputOf(req.contentType, req.body)
  const result = await api.infer(ref, input, scope)
  const body = await writeTableOrText(result, format)
  return { status: 200, headers: { 'content-type': OUTPUT_MEDIA[format] }, body }
}
