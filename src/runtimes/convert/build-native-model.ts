/** Extracted model → its typed-array evaluator; the same code on the main thread and in the row-split threads. */
import { Unsupported } from '../../errors.js'
import { LinearModel } from './linear-model.js'
import type { LinearSpec } from './linear-model.js'
import type { NativeModel } from './native-model.js'
import { PreprocessedModel } from './preprocessed-model.js'
import type { ScalerSpec } from './preprocessed-model.js'
import { SklearnTreeModel } from './sklearn-tree-model.js'
import type { SklearnTreesSpec } from './sklearn-tree-model.js'
import { XgboostModel } from './xgboost-model.js'
import type { XgboostWrapper } from './xgboost-model.js'

/** What the extraction script prints for a model (or what a JSON model file is read into). */
export type ExtractedModel = (
  | SklearnTreesSpec
  | LinearSpec
  | { kind: 'xgboost'; estimator: string; wrapper: XgboostWrapper; iteration_end: number; classes: (number | string)[] | null; json: unknown }
) & { steps?: ScalerSpec[]; library?: string; library_version?: string }

export function buildNativeModel(m: ExtractedModel): NativeModel {
  let model: NativeModel
  if (m.kind === 'xgboost') {
    model = new XgboostModel(m.json, { wrapper: m.wrapper, estimator: m.estimator, iterationEnd: m.iteration_end, classes: m.classes })
  } else if (m.kind === 'sklearn_trees') model = new SklearnTreeModel(m)
  else if (m.kind === 'linear') model = new LinearModel(m)
  else throw new Unsupported(`extracted model kind '${(m as { kind: string }).kind}' has no native evaluator`)
  return m.steps && m.steps.length > 0 ? new PreprocessedModel(m.steps, model) : model
}
