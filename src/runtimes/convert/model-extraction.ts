import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { InvalidInput, RuntimeFailure, Unsupported } from '../../errors.js'
import { packagePath } from '../../package-path.js'
import { sandboxedCommand } from '../python/sandbox.js'
import type { WorkerSandbox } from '../python/python-worker.js'

export const EXTRACT_SCRIPT = packagePath('src/runtimes/convert/quiver_extract.py')
const TIMEOUT_MS = 120_000

/** A reference output: float values (labels included when numeric) or non-numeric labels. */
export interface ReferenceOutput {
  shape: number[]
  values: Float64Array | (number | string | boolean)[]
}

export interface ExtractionRequest {
  python: string
  path: string
  fileName: string
  framework: string
  /** Output field names, for the reference outputs. */
  fields: readonly string[]
  /** Only load the model and compute reference outputs (its structure is read in TypeScript). */
  referenceOnly?: boolean
  /** Unpickle without the restricted unpickler's safe list (`--trust`). */
  trusted?: boolean
  /** Run the script inside bwrap, with `path` bound read-only (see sandbox.ts). */
  sandbox?: WorkerSandbox
  signal?: AbortSignal
}

/**
 * One run of the extraction script: {@link structure} is what it printed about the model;
 * {@link reference} sends the verification batch and reads the library's own outputs.
 */
export class ModelExtraction {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #lines: AsyncIterator<string>
  readonly #stderr: string[] = []
  readonly #label: string
  #timer: NodeJS.Timeout

  private constructor(req: ExtractionRequest) {
    this.#label = req.fileName
    const args = ['-B', EXTRACT_SCRIPT, req.path, req.fileName, req.framework, req.fields.join(',')]
    if (req.referenceOnly) args.push('--reference-only')
    if (req.trusted) args.push('--trusted')
    const env = { ...process.env, PYTHONWARNINGS: 'ignore' }
    const run = req.sandbox
      ? sandboxedCommand(req.sandbox.bwrap, { ...req.sandbox.spec, env }, args)
      : { command: req.python, args, env }
    this.#child = spawn(run.command, run.args, { stdio: ['pipe', 'pipe', 'pipe'], signal: req.signal, env: run.env })
    this.#child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr.push(d)
      if (this.#stderr.length > 50) this.#stderr.shift()
    })
    this.#child.on('error', () => {})
    this.#child.stdin.on('error', () => {})
    this.#lines = createInterface({ input: this.#child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]()
    this.#timer = setTimeout(() => this.#child.kill('SIGKILL'), TIMEOUT_MS)
  }

  /** Starts the script and reads the model structure it prints first. */
  static async start(req: ExtractionRequest): Promise<{ extraction: ModelExtraction; model: Record<string, unknown> }> {
    const extraction = new ModelExtraction(req)
    try {
      const doc = await extraction.#read()
      return { extraction, model: doc.model as Record<string, unknown> }
    } catch (err) {
      extraction.close()
      throw err
    }
  }

  /** The library's outputs for `x` (`rows × features`, sent as `dtype`), by field name. */
  async reference(x: Float64Array, rows: number, features: number, dtype: string): Promise<Record<string, ReferenceOutput>> {
    const payload = { rows, features, dtype, x: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') }
    this.#child.stdin.write(JSON.stringify(payload) + '\n')
    const doc = await this.#read()
    const out: Record<string, ReferenceOutput> = {}
    for (const [name, v] of Object.entries(doc.outputs as Record<string, { shape: number[]; f8?: string; labels?: (number | string)[] }>)) {
      if (v.f8 !== undefined) {
        const bytes = Buffer.from(v.f8, 'base64')
        const copy = new Uint8Array(bytes)
        out[name] = { shape: v.shape, values: new Float64Array(copy.buffer, 0, copy.byteLength / 8) }
      } else out[name] = { shape: v.shape, values: v.labels ?? [] }
    }
    return out
  }

  close(): void {
    clearTimeout(this.#timer)
    this.#child.stdin.end()
    if (this.#child.exitCode === null) this.#child.kill()
  }

  async #read(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next()
    if (next.done) {
      await new Promise((resolve) => (this.#child.exitCode !== null || this.#child.signalCode !== null ? resolve(null) : this.#child.once('close', resolve)))
      const tail = this.#stderr.join('').trim().split('\n').slice(-3).join(' | ')
      const how = this.#child.signalCode ? `was killed (${this.#child.signalCode})` : `exited with code ${this.#child.exitCode}`
      throw new RuntimeFailure(`the model extraction script ${how} while reading ${this.#label}${tail ? `: ${tail}` : ''}`)
    }
    let doc: Record<string, unknown>
    try {
      doc = JSON.parse(next.value) as Record<string, unknown>
    } catch {
      throw new RuntimeFailure(`the model extraction script printed something other than JSON while reading ${this.#label}: ${next.value.slice(0, 200)}`)
    }
    if (doc.ok !== true) {
      const message = String(doc.message)
      if (doc.code === 'unsupported') throw new Unsupported(message)
      if (doc.code === 'invalid_input') throw new InvalidInput(message)
      throw new RuntimeFailure(message)
    }
    return doc
  }
}
