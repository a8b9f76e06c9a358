/**
 * MLflow's scoring protocol as a client: the endpoint URL is the scoring URL (`…/invocations`);
 * rows go out as `dataframe_split` and `{"predictions": …}` comes back as records, columns or, for
 * one output field, a bare list.
 */
import { tableToColumnsJson } from '../../data/table-output.js'
import { RuntimeFailure } from '../../errors.js'
import type { FetchInferenceRequest, ModelPlatform } from './model-platform.js'
import { answerColumns } from './rows-answer.js'

export class MlflowPlatform implements ModelPlatform {
  readonly name = 'mlflow'

  async fetchInference(req: FetchInferenceRequest): Promise<unknown> {
    const { columns } = tableToColumnsJson(req.input)
    const names = req.inputSchema.map((f) => f.name)
    const cols = names.map((n) => columns[n]!)
    const data = Array.from({ length: req.input.numRows }, (_, r) => cols.map((c) => c[r]))
    const answer = await req.call({ body: { dataframe_split: { columns: names, data } }, signal: req.signal })
    const predictions = (answer as { predictions?: unknown }).predictions
    if (predictions === undefined) throw new RuntimeFailure(`${req.endpoint.url} answered no "predictions"`)
    return answerColumns(predictions, req.outputSchema, req.endpoint.url)
  }
}
