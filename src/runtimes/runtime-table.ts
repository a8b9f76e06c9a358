import { FRAMEWORKS, type Framework, type RuntimeKind } from '../records/frameworks.js'
import type { Runtime } from './runtime.js'

/** What every caller needs to know of a framework, in one place. */
export interface FrameworkFacts {
  /** Runtimes to try, in order: the first whose `supports()` is ok and whose `load()` succeeds serves it. */
  readonly runtimes: readonly string[]
  /** The runtime kind a version starts as, before a runtime has loaded it. */
  readonly kind: RuntimeKind
  /** Nulls reach the model where the field is nullable (Python and JS steps); dense-tensor models refuse them. */
  readonly nullsPass: boolean
  /** `model`: schemas may be left out and are read from the model itself (SPEC §3); `given`: they are required. */
  readonly schemas: 'model' | 'given'
  /** `archive`: the artifact is a zip extracted to a folder before loading; `file`: loaded as is. */
  readonly artifact: 'file' | 'archive'
  /** The Open Inference Protocol `platform` of model metadata. */
  readonly v2Platform: string
}

type NamedFramework = (typeof FRAMEWORKS)[number]

const row = (runtimes: readonly string[], kind: RuntimeKind, rest: Partial<FrameworkFacts> & { v2Platform: string }): FrameworkFacts =>
  Object.freeze({ runtimes, kind, nullsPass: false, schemas: 'given', artifact: 'file', ...rest })

/** Framework → its facts. Adding a runtime is a folder, a factory below and a row here. */
export const RUNTIME_TABLE: Readonly<Record<NamedFramework, FrameworkFacts>> = Object.freeze({
  onnx: row(['onnx'], 'native', { schemas: 'model', v2Platform: 'onnx_onnxv1' }),
  tensorflow: row([], 'containerized', { schemas: 'model', v2Platform: 'tensorflow_savedmodel' }),
  keras: row([], 'containerized', { v2Platform: 'quiver_keras' }),
  pytorch: row(['python'], 'containerized', { v2Platform: 'pytorch_torchscript' }),
  sklearn: row(['converted', 'python'], 'containerized', { v2Platform: 'quiver_sklearn' }),
  xgboost: row(['converted', 'python'], 'containerized', { v2Platform: 'quiver_xgboost' }),
  python: row(['python'], 'containerized', { nullsPass: true, artifact: 'archive', v2Platform: 'quiver_python' }),
  custom: row(['python'], 'containerized', { nullsPass: true, artifact: 'archive', v2Platform: 'quiver_custom' }),
  js: row(['js'], 'containerized', { nullsPass: true, v2Platform: 'quiver_js' }),
  mlflow: row(['mlflow'], 'containerized', { schemas: 'model', v2Platform: 'mlflow' }),
  remote: row(['remote'], 'remote', { schemas: 'model', v2Platform: 'quiver_remote' }),
})

const HUGGING_FACE = row(['huggingface'], 'native', { schemas: 'model', artifact: 'archive', nullsPass: true, v2Platform: 'quiver_hugging-face' })

export function frameworkFacts(framework: Framework): FrameworkFacts {
  return (RUNTIME_TABLE as Record<string, FrameworkFacts>)[framework] ?? { ...HUGGING_FACE, v2Platform: `quiver_${framework}` }
}

export function runtimeNamesFor(framework: Framework): readonly string[] {
  return frameworkFacts(framework).runtimes
}

/** Loaded lazily so a command that never runs Python never pays for it. */
const FACTORIES: Readonly<Record<string, () => Promise<Runtime>>> = {
  onnx: async () => new (await import('./onnx/onnx-runtime.js')).OnnxRuntime(),
  python: async () => new (await import('./python/python-runtime.js')).PythonRuntime(),
  converted: async () => new (await import('./convert/converted-runtime.js')).ConvertedRuntime(),
  js: async () => new (await import('./js/js-runtime.js')).JsRuntime(),
  remote: async () => new (await import('./remote/remote-runtime.js')).RemoteRuntime(),
  mlflow: async () => new (await import('./mlflow/mlflow-runtime.js')).MlflowRuntime(),
  huggingface: async () => new (await import('./huggingface/hf-runtime.js')).HuggingFaceRuntime(),
}

/** One instance of each runtime per Quiver process. */
export class Runtimes {
  #instances = new Map<string, Promise<Runtime>>()

  get(name: string): Promise<Runtime> {
    let r = this.#instances.get(name)
    if (!r) {
      const make = FACTORIES[name]
      if (!make) throw new Error(`no runtime named '${name}'`)
      r = make()
      this.#instances.set(name, r)
    }
    return r
  }

  async dispose(): Promise<void> {
    const all = [...this.#instances.values()]
    this.#instances.clear()
    await Promise.allSettled(all.map(async (p) => (await p).dispose?.()))
  }
}
