import type { Framework } from '../registry/frameworks.js'
import type { Runtime } from './runtime.js'

/**
 * Framework → runtimes to try, in order: the first whose `supports()` is ok and whose `load()`
 * succeeds serves the version. Adding a runtime is a folder and a line here.
 */
export const RUNTIME_TABLE: Readonly<Record<string, readonly string[]>> = {
  onnx: ['onnx'],
  sklearn: ['converted', 'python'],
  xgboost: ['converted', 'python'],
  pytorch: ['python'],
  python: ['python'],
  custom: ['python'],
}

/** Loaded lazily so a command that never runs Python never pays for it. */
const FACTORIES: Readonly<Record<string, () => Promise<Runtime>>> = {
  onnx: async () => new (await import('./onnx/onnx-runtime.js')).OnnxRuntime(),
  python: async () => new (await import('./python/python-runtime.js')).PythonRuntime(),
  converted: async () => new (await import('./convert/converted-runtime.js')).ConvertedRuntime(),
}

export function runtimeNamesFor(framework: Framework): readonly string[] {
  return RUNTIME_TABLE[framework] ?? []
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
