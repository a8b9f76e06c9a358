import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InferenceSession } from 'onnxruntime-node'
import { InvalidInput, RuntimeFailure, errorMessage } from '../../errors.js'
import type { RuntimeKind } from '../../records/frameworks.js'
import type { LoadContext, LoadableVersion, Runtime, Support } from '../runtime.js'
import { checkExternalData, externalTensors } from './onnx-external-data.js'
import { declaredShapes } from './onnx-graph-shapes.js'
import { OnnxSession, firstLine } from './onnx-session.js'
import { planSignature } from './onnx-signature.js'
import { OnnxThreadPool } from './onnx-thread-pool.js'

type Ort = typeof import('onnxruntime-node')

/** Inside an uploaded zip, the model file is looked for under these names first. */
export const WELLKNOWN_MODEL_FILENAMES = ['model.onnx'] as const

const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
}

/**
 * Runs feeding at least this many input values in total go to a worker thread. Below it the hop
 * (about 60 µs: copy in, post, wake, transfer back) would cost more than the run saves the event
 * loop; at it, an MLP like the iris fixture runs for about 1 ms.
 */
export const DEFAULT_THREAD_MIN_ELEMENTS = 32_768
export const THREAD_MIN_ELEMENTS_ENV = 'QUIVER_ONNX_THREAD_MIN_ELEMENTS'

export interface OnnxRuntimeOptions {
  /**
   * Runs feeding at least this many input values (rows × values per row, summed over inputs) go
   * to the model's worker threads; smaller runs stay on the calling thread. 0 sends every run to
   * a thread, Infinity none. Default: env QUIVER_ONNX_THREAD_MIN_ELEMENTS, else 32768.
   */
  threadMinElements?: number
  /** Worker threads per loaded model (default 1; onnxruntime's own threads parallelize a run). */
  threadsPerSession?: number
}

let ortModule: Promise<Ort> | undefined

/** onnxruntime-node is loaded on first use, so commands that never run a model never pay for it. */
function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((err: unknown) => {
    ortModule = undefined
    throw err
  })
  return ortModule
}

/**
 * Runs `onnx` versions in process with onnxruntime-node. Schemas not given on upload are read
 * from the graph; `config.tensor_fields` renames the graph inputs in order.
 */
export class OnnxRuntime implements Runtime {
  readonly name = 'onnx'
  readonly kind: RuntimeKind = 'native'
  #threadMinElements: number
  #threadsPerSession: number
  #sessions = new Set<OnnxSession>()

  constructor(opts: OnnxRuntimeOptions = {}) {
    this.#threadMinElements = opts.threadMinElements ?? threadMinElementsFromEnv()
    this.#threadsPerSession = opts.threadsPerSession ?? 1
    if (!(this.#threadMinElements >= 0)) throw new InvalidInput(`threadMinElements must be 0 or more, got ${this.#threadMinElements}`, { field: 'threadMinElements' })
    if (!Number.isInteger(this.#threadsPerSession) || this.#threadsPerSession < 1) {
      throw new InvalidInput(`threadsPerSession must be a whole number of at least 1, got ${this.#threadsPerSession}`, { field: 'threadsPerSession' })
    }
  }

  async supports(v: LoadableVersion): Promise<Support> {
    if (v.framework !== 'onnx') return { ok: false, reason: `the onnx runtime runs framework 'onnx', not '${v.framework}'` }
    try {
      await loadOrt()
      return { ok: true }
    } catch (err) {
      return { ok: false, reason: `onnxruntime-node cannot be loaded: ${firstLine(errorMessage(err))}` }
    }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<OnnxSession> {
    const ort = await loadOrt()
    const folder = v.config.archive ? await ctx.extractedPath() : null
    const path = folder !== null ? await findModelFile(folder, v.file_name) : await ctx.artifactPath()
    // Before onnxruntime opens it: it would read external data relative to the blob's directory.
    const bytes = await readFile(path)
    await checkExternalData(externalTensors(bytes, v.file_name), folder, v.file_name)
    const declared = declaredShapes(bytes)
    ctx.signal?.throwIfAborted()
    // A deployment's `cpus` becomes onnxruntime's intra-op thread count.
    const intraOp = typeof v.config.intra_op_threads === 'number' && v.config.intra_op_threads >= 1 ? Math.floor(v.config.intra_op_threads) : undefined
    const options = intraOp === undefined ? SESSION_OPTIONS : { ...SESSION_OPTIONS, intraOpNumThreads: intraOp }
    let session: InferenceSession
    try {
      session = await ort.InferenceSession.create(path, options)
    } catch (err) {
      throw loadError(v.file_name, errorMessage(err), err)
    }
    try {
      const signature = planSignature(
        { inputSchema: v.input_schema, outputSchema: v.output_schema, tensorFields: v.config.tensor_fields },
        session.inputMetadata,
        session.outputMetadata,
        declared,
      )
      const threads = this.#threadMinElements === Infinity
        ? null
        : {
            pool: new OnnxThreadPool({ model: v.name, modelPath: path, sessionOptions: options, threads: this.#threadsPerSession }),
            minElements: this.#threadMinElements,
          }
      const onnx: OnnxSession = new OnnxSession(session, ort.Tensor, signature, v.name, threads, () => this.#sessions.delete(onnx))
      this.#sessions.add(onnx)
      return onnx
    } catch (err) {
      await session.release()
      throw err
    }
  }

  /** Closes every session this runtime loaded, stopping their worker threads. */
  async dispose(): Promise<void> {
    const all = [...this.#sessions]
    this.#sessions.clear()
    await Promise.allSettled(all.map((s) => s.close()))
  }
}

function threadMinElementsFromEnv(): number {
  const raw = process.env[THREAD_MIN_ELEMENTS_ENV]?.trim()
  if (raw === undefined || raw === '') return DEFAULT_THREAD_MIN_ELEMENTS
  if (raw === 'Infinity') return Infinity
  if (!/^\d+$/.test(raw)) {
    throw new InvalidInput(`${THREAD_MIN_ELEMENTS_ENV} must be a whole number of input values (or Infinity), got '${raw}'`, {
      field: THREAD_MIN_ELEMENTS_ENV, expected: 'a whole number', got: raw,
    })
  }
  return Number(raw)
}

function loadError(fileName: string, raw: string, cause: unknown): Error {
  // onnxruntime prefixes "Load model from <path> failed:" and often a C++ source location.
  const message = firstLine(raw.replace(/^Load model from .*? failed:/, '').replace(/^\/\S+:\d+ [^ (]+\(.*?\) /, ''))
  if (/implementation|not supported|unsupported|opset/i.test(message)) {
    return new RuntimeFailure(`onnxruntime cannot run ${fileName}: ${message}`, undefined, { cause })
  }
  return new InvalidInput(`${fileName} is not a valid ONNX model: ${message}`, { field: 'model', got: message }, { cause })
}

/** The model file inside an extracted archive: a well-known name, else the only `.onnx` file. */
async function findModelFile(dir: string, fileName: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true })
  const onnx = entries.filter((e) => e.endsWith('.onnx'))
  for (const name of WELLKNOWN_MODEL_FILENAMES) if (onnx.includes(name)) return join(dir, name)
  if (onnx.length === 1) return join(dir, onnx[0]!)
  throw new InvalidInput(
    onnx.length === 0
      ? `${fileName} holds no .onnx file`
      : `${fileName} holds ${onnx.length} .onnx files (${onnx.join(', ')}); name the model model.onnx`,
    { field: 'model' },
  )
}
