import { readFile } from 'node:fs/promises'
import { errorMessage, InvalidInput, isQuiverError, RuntimeFailure, Unsupported } from '../../errors.js'
import type { ModelSchema } from '../../data/schema.js'
import { fieldTensorShape } from '../../data/tensor.js'
import type { TensorElementType } from '../../data/tensor.js'
import type { RuntimeKind } from '../../records/frameworks.js'
import type { LoadableVersion, LoadContext, Runtime, Session, Support } from '../runtime.js'
import { readHead } from '../file-head.js'
import { findPython } from '../python/find-python.js'
import type { PythonModule, PythonProbe } from '../python/find-python.js'
import { requireSandbox, sandboxState } from '../python/sandbox.js'
import { checkPickleFile } from '../python/pickle-scan.js'
import { buildNativeModel } from './build-native-model.js'
import type { ExtractedModel } from './build-native-model.js'
import { ConvertedSession } from './converted-session.js'
import { ModelExtraction } from './model-extraction.js'
import type { NativeModel } from './native-model.js'
import { planOutputs } from './output-plan.js'
import { SklearnTreeModel } from './sklearn-tree-model.js'
import { compareOutputs, verificationBatch, VERIFY_ROWS } from './verification.js'

const FRAMEWORKS = new Set(['sklearn', 'xgboost'])
const FEATURE_TYPES = new Set<TensorElementType>(['float64', 'float32', 'int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32'])

export type { ExtractedModel } from './build-native-model.js'

export interface ConvertedRuntimeOptions {
  /** Environment for interpreter lookup (default `process.env`). */
  env?: NodeJS.ProcessEnv
}

/**
 * Serves sklearn and xgboost models without Python: the model's structure is read once (XGBoost
 * JSON directly; pickles and UBJ through a one-shot Python process), evaluated by typed-array
 * tree and linear evaluators, and checked against the library's own outputs on a verification
 * batch. A model it cannot convert, or whose outputs differ, is refused with the reason so the
 * next runtime (the Python worker) serves it.
 */
export class ConvertedRuntime implements Runtime {
  readonly name = 'converted'
  readonly kind: RuntimeKind = 'native'
  readonly #opts: ConvertedRuntimeOptions

  constructor(opts: ConvertedRuntimeOptions = {}) {
    this.#opts = opts
  }

  supports(v: LoadableVersion): Support {
    if (!FRAMEWORKS.has(v.framework)) return { ok: false, reason: `native conversion covers sklearn and xgboost, not '${v.framework}'` }
    const feature = featureType(v.input_schema)
    if (!feature) return { ok: false, reason: "native conversion takes one input field 'inputs', a fixed-size list of float64 or float32 features" }
    if (!v.output_schema || v.output_schema.length === 0) return { ok: false, reason: 'native conversion needs an output schema' }
    return { ok: true }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<Session> {
    const support = this.supports(v)
    if (!support.ok) throw new Unsupported(support.reason)
    const input = v.input_schema!
    const output = v.output_schema!
    const element = featureType(input)!
    const stored = v.config.converted
    if (stored && ctx.derivedPath) {
      try {
        return await this.#loadStored(v, stored.sha256, await ctx.derivedPath(stored.sha256), input, output, ctx)
      } catch (err) {
        ctx.progress(`the stored native conversion could not be used (${errorMessage(err)}); converting again`)
      }
    }
    const path = await ctx.artifactPath()
    const json = v.framework === 'xgboost' && (await isJsonText(path))
    const pickled = v.framework === 'sklearn' || (!json && (await looksPickled(path)))
    if (pickled && v.config.trusted !== true) await checkPickleFile(path, v.file_name)
    ctx.signal?.throwIfAborted()
    const modules: PythonModule[] = v.framework === 'sklearn' ? ['numpy', 'scipy', 'sklearn', 'joblib'] : pickled ? ['numpy', 'xgboost', 'sklearn', 'joblib'] : ['numpy', 'xgboost']
    let python: PythonProbe | null = null
    try {
      python = await findPython(modules, this.#env)
    } catch (err) {
      // A JSON model needs no interpreter to be read; it is served unverified rather than not at all.
      if (!json) throw err
      const spec: ExtractedModel = { kind: 'xgboost', estimator: 'Booster', wrapper: 'booster', iteration_end: 0, classes: null, json: await readJson(path, v.file_name) }
      const model = this.build(spec)
      const session = this.#session(model, spec, v, input, output)
      ctx.progress(`converted ${model.summary} to the native tree evaluator; not verified (${errorMessage(err)})`)
      return session
    }
    // Pickles are read only inside the sandbox unless QUIVER_SANDBOX=off; JSON/UBJ inside it when bwrap works.
    const state = pickled ? await requireSandbox(v.file_name, this.#env) : await sandboxState(this.#env)
    const sandbox = state.kind === 'bwrap'
      ? { bwrap: state.bwrap, spec: { executable: python.executable, pythonPaths: python.paths, readOnly: [path] } }
      : undefined
    const { extraction, model: spec } = await ModelExtraction.start({
      python: python.command, path, sandbox, fileName: v.file_name, framework: v.framework, fields: output.map((f) => f.name), referenceOnly: json, trusted: v.config.trusted === true, signal: ctx.signal,
    })
    try {
      const extracted = (json ? { kind: 'xgboost', estimator: 'Booster', wrapper: 'booster', iteration_end: 0, classes: null, json: await readJson(path, v.file_name) } : spec) as ExtractedModel
      // Serialized before building: evaluators may keep typed views of what they are given.
      const serialized = serializeConverted(extracted)
      let model: NativeModel
      try {
        model = this.build(extracted)
      } catch (err) {
        if (isQuiverError(err)) throw err
        throw new Unsupported(`${v.file_name} could not be converted: ${errorMessage(err)}`)
      }
      const session = this.#session(model, extracted, v, input, output)
      const batch = verificationBatch(model, VERIFY_ROWS, element)
      const reference = await extraction.reference(batch, VERIFY_ROWS, model.nFeatures, element)
      const mine = session.evaluate(batch, VERIFY_ROWS, element === 'float32')
      const check = compareOutputs(planOutputs(output, model), mine, reference, VERIFY_ROWS)
      const library = `${model.library} ${String(spec.library_version ?? '')}`.trim()
      if (check.failure) {
        throw new RuntimeFailure(`native conversion of ${v.name} differs from ${library} on the verification batch (${check.failure}); serving it with the Python worker`)
      }
      ctx.progress(`converted ${model.summary} to the native ${model.evaluator} evaluator; verified against ${library} on ${VERIFY_ROWS} rows, max abs error ${check.maxAbsError === 0 ? 0 : check.maxAbsError.toPrecision(3)}`)
      if (serialized) session.derived = { kind: CONVERTED_FORMAT, bytes: serialized, summary: `native ${model.evaluator} conversion of ${model.summary}` }
      return session
    } finally {
      extraction.close()
    }
  }

  /** A conversion stored with the version at upload: digest-checked by the store, verified then, read with no Python. */
  async #loadStored(v: LoadableVersion, sha256: string, path: string, input: ModelSchema, output: ModelSchema, ctx: LoadContext): Promise<Session> {
    const doc = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown; model?: ExtractedModel }
    if (doc.format !== CONVERTED_FORMAT || !doc.model) throw new Error(`blob ${sha256.slice(0, 12)}… is not a ${CONVERTED_FORMAT} document`)
    const model = this.build(doc.model)
    const session = this.#session(model, doc.model, v, input, output)
    ctx.progress(`loaded the stored native ${model.evaluator} conversion of ${model.summary} (sha256 ${sha256.slice(0, 12)}…)`)
    return session
  }

  /** Builds the native evaluator for an extracted model. */
  protected build(m: ExtractedModel): NativeModel {
    return buildNativeModel(m)
  }

  /** `spec` is what built `model`: row-split threads build their own copy of the evaluator from it. */
  #session(model: NativeModel, spec: ExtractedModel, v: LoadableVersion, input: ModelSchema, output: ModelSchema): ConvertedSession {
    const width = fieldTensorShape(input[0]!.type)!.dims[0]
    if (width !== model.nFeatures) {
      throw new InvalidInput(`input field '${input[0]!.name}' has ${width} features per row but ${model.summary} was trained on ${model.nFeatures}`, {
        field: input[0]!.name, expected: `${model.nFeatures} features`, got: `${width}`,
      })
    }
    const plan = planOutputs(output, model)
    return new ConvertedSession(model, input, output, plan, `${v.name}:${v.version}`, model instanceof SklearnTreeModel, spec)
  }

  get #env(): NodeJS.ProcessEnv {
    return this.#opts.env ?? process.env
  }
}

const CONVERTED_FORMAT = 'quiver-converted-v1'

/** The extracted model as stored JSON; null when it holds a value JSON cannot keep exactly (NaN, ±Infinity). */
function serializeConverted(model: ExtractedModel): Uint8Array | null {
  let exact = true
  let text: string
  try {
    text = JSON.stringify({ format: CONVERTED_FORMAT, model }, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>)
    return value
  })
  } catch {
    return null // a value JSON cannot hold at all (a BigInt)
  }
  return exact ? Buffer.from(text) : null
}

function featureType(schema: ModelSchema | null): TensorElementType | null {
  if (!schema || schema.length !== 1) return null
  const shape = fieldTensorShape(schema[0]!.type)
  if (!shape || shape.dims.length !== 1 || shape.dims[0] === null || !FEATURE_TYPES.has(shape.type)) return null
  return shape.type
}

async function readJson(path: string, fileName: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new InvalidInput(`${fileName} is not valid JSON: ${errorMessage(err)}`, { field: 'file_name', got: fileName })
  }
}

async function isJsonText(path: string): Promise<boolean> {
  // UBJSON objects open with '{' too, followed by a length marker rather than a quote.
  return /^\s*\{\s*["}]/.test((await readHead(path, 64)).toString('latin1'))
}

/** Pickle protocol 2+ or a compressed joblib container, as opposed to XGBoost's JSON/UBJ files. */
async function looksPickled(path: string): Promise<boolean> {
  const h = await readHead(path, 6)
  return h[0] === 0x80 || h[0] === 0x78 || (h[0] === 0x1f && h[1] === 0x8b) || (h[0] === 0x42 && h[1] === 0x5a) || h[0] === 0xfd || (h[0] === 0x5d && h[1] === 0x00)
}
