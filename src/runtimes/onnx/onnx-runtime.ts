import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { InferenceSession } from 'onnxruntime-node'
import { InvalidInput, RuntimeFailure, errorMessage } from '../../errors.js'
import type { RuntimeKind } from '../../registry/frameworks.js'
import type { LoadContext, LoadableVersion, Runtime, Support } from '../runtime.js'
import { OnnxSession, firstLine } from './onnx-session.js'
import { planSignature } from './onnx-signature.js'

type Ort = typeof import('onnxruntime-node')

/** Inside an uploaded zip, the model file is looked for under these names first. */
export const WELLKNOWN_MODEL_FILENAMES = ['model.onnx'] as const

const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
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
    const path = v.config.archive ? await findModelFile(await ctx.extractedPath(), v.file_name) : await ctx.artifactPath()
    ctx.signal?.throwIfAborted()
    let session: InferenceSession
    try {
      session = await ort.InferenceSession.create(path, SESSION_OPTIONS)
    } catch (err) {
      throw loadError(v.file_name, errorMessage(err), err)
    }
    try {
      const signature = planSignature(
        { inputSchema: v.input_schema, outputSchema: v.output_schema, tensorFields: v.config.tensor_fields },
        session.inputMetadata,
        session.outputMetadata,
      )
      return new OnnxSession(session, ort.Tensor, signature, v.name)
    } catch (err) {
      await session.release()
      throw err
    }
  }
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
