/**
 * The `mlflow` framework: an MLflow model whose flavors Quiver cannot run (an import of an onnx,
 * sklearn or xgboost flavor becomes that framework instead). It never loads; it says why, naming
 * the flavors, so the version is registered with status `error` (SPEC §2).
 */
import { Unsupported } from '../../errors.js'
import type { LoadableVersion, Runtime, Session, Support } from '../runtime.js'

export class MlflowRuntime implements Runtime {
  readonly name = 'mlflow'
  readonly kind = 'containerized' as const

  supports(v: LoadableVersion): Support {
    if (v.framework !== 'mlflow') return { ok: false, reason: `the mlflow runtime serves framework mlflow, not ${v.framework}` }
    const mlflow = v.metadata.mlflow as { unsupported?: unknown } | undefined
    if (typeof mlflow?.unsupported === 'string') return { ok: false, reason: mlflow.unsupported }
    return { ok: false, reason: 'an MLflow model runs here when imported from its registry (quiver upload NAME --from-registry REG/MODEL/VERSION) with an onnx, sklearn or xgboost flavor' }
  }

  async load(v: LoadableVersion): Promise<Session> {
    throw new Unsupported(this.supports(v).ok ? 'unreachable' : (this.supports(v) as { reason: string }).reason)
  }
}
