/**
 * Plain JSON as a client: `{"columns": {field: [...]}}` is POSTed to the endpoint URL (Quiver's own
 * `/v1/models/{ref}/infer` takes it), and records or columns come back.
 */
import { tableToColumnsJson } from '../../data/table-output.js'
import type { FetchInferenceRequest, ModelPlatform } from './model-platform.js'
import { answerColumns } from './rows-answer.js'

export class JsonPlatform implements ModelPlatform {
  readonly name = 'json'

  async fetchInference(req: FetchInferenceRequest): Promise<unknown> {
    const answer = await req.call({ body: tableToColumnsJson(req.input), signal: req.signal })
    return answerColumns(answer, req.outputSchema, req.endpoint.url)
  }
}
