import { open } from 'node:fs/promises'
import { InvalidInput } from '../../errors.js'
import type { ModelSchema } from '../../data/schema.js'
import type { RuntimeKind } from '../../records/frameworks.js'
import type { LoadableVersion, LoadContext, Runtime, Session, Support } from '../runtime.js'
import { wireLayout } from './column-codec.js'
import { findEntryScript } from './entry-script.js'
import { findPython } from './find-python.js'
import type { PythonModule, PythonProbe } from './find-python.js'
import { checkPickleFile } from './pickle-scan.js'
import type { WorkerSandbox } from './python-worker.js'
import { PythonSession } from './python-session.js'
import { requireSandbox, sandboxState } from './sandbox.js'
import { WorkerPool } from './worker-pool.js'

export const PYTHON_FRAMEWORKS = ['sklearn', 'xgboost', 'pytorch', 'python', 'custom'] as const
type PythonFramework = (typeof PYTHON_FRAMEWORKS)[number]

const BASE_MODULES: Record<PythonFramework, PythonModule[]> = {
  sklearn: ['numpy', 'scipy', 'sklearn', 'joblib'],
  xgboost: ['numpy', 'xgboost'],
  pytorch: ['numpy', 'torch'],
  python: ['numpy'],
  custom: ['numpy'],
}

/** The modules a framework's worker imports before any model-specific ones. */
export function pythonModulesFor(framework: PythonFramework): readonly PythonModule[] {
  return BASE_MODULES[framework]
}

export interface PythonRuntimeOptions {
  /** Worker processes per loaded version (default 1); a version's `config.workers` overrides it. */
  workers?: number
  /** Per request (default 60 s); a version's `config.timeout_ms` overrides it. */
  timeoutMs?: number
  loadTimeoutMs?: number
  /** Environment for interpreter lookup and workers (default `process.env`). */
  env?: NodeJS.ProcessEnv
}

/**
 * Serves sklearn, xgboost, pytorch (TorchScript), Python steps and custom models in worker
 * processes of a local interpreter (`QUIVER_PYTHON`, `python3`, or `/usr/bin/python3`).
 */
export class PythonRuntime implements Runtime {
  readonly name = 'python'
  readonly kind: RuntimeKind = 'containerized'
  readonly #opts: PythonRuntimeOptions
  readonly #sessions = new Set<PythonSession>()

  constructor(opts: PythonRuntimeOptions = {}) {
    this.#opts = opts
  }

  async supports(v: LoadableVersion): Promise<Support> {
    if (!isPythonFramework(v.framework)) return { ok: false, reason: `the python runtime does not serve framework '${v.framework}'` }
    try {
      await findPython(BASE_MODULES[v.framework], this.#env)
      return { ok: true }
    } catch (err) {
      return { ok: false, reason: (err as Error).message }
    }
  }

  async load(v: LoadableVersion, ctx: LoadContext): Promise<Session> {
    const framework = v.framework
    if (!isPythonFramework(framework)) throw new InvalidInput(`the python runtime does not serve framework '${framework}'`)
    const inputSchema = requireSchema(v.input_schema, 'input', framework)
    const outputSchema = requireSchema(v.output_schema, 'output', framework)
    const label = `${v.name}:${v.version}`
    const load: Record<string, unknown> = {
      kind: 'load', model: label, name: v.name, framework, file_name: v.file_name, metadata: v.metadata,
      input_fields: fieldsOf(inputSchema), output_fields: fieldsOf(outputSchema),
      // Untrusted pickles are unpickled by the worker's restricted unpickler as well as scanned here.
      trusted: v.config.trusted === true,
    }
    const modules = [...BASE_MODULES[framework]]
    let pickled = false
    if (framework === 'python' || framework === 'custom') {
      const entry = await findEntryScript(await ctx.extractedPath(), framework, v.file_name)
      Object.assign(load, { path: entry.root, entry: entry.script, requirements: entry.requirements })
    } else {
      const path = await ctx.artifactPath()
      load.path = path
      pickled = framework === 'sklearn' || (framework === 'xgboost' && (await looksPickled(path)))
      if (pickled) {
        if (framework === 'xgboost') modules.push('sklearn', 'joblib')
        if (v.config.trusted === true) ctx.progress(`${v.file_name} is trusted: its pickle imports were not checked`)
        else {
          await checkPickleFile(path, v.file_name)
          ctx.progress(`${v.file_name}: pickle imports checked against the safe list`)
        }
      }
    }
    ctx.signal?.throwIfAborted()
    const python = await findPython(modules, this.#env, { preferMostModules: framework === 'python' || framework === 'custom' })
    const sandbox = SANDBOXED.has(framework) ? await this.#sandbox(v.file_name, pickled, python, load.path as string) : undefined
    if (sandbox) ctx.progress(`workers run inside the bubblewrap sandbox (no network, read-only files except a private /tmp)`)
    const size = positive(v.config.workers) ?? this.#opts.workers ?? 1
    const versions = modules.map((m) => `${m} ${python.modules[m]}`).join(', ')
    ctx.progress(`starting ${size} python worker${size === 1 ? '' : 's'}: ${python.executable} (Python ${python.version}; ${versions})`)
    const { pool, warnings } = await WorkerPool.start({
      python: python.command, label, load, size, env: this.#env, sandbox,
      timeoutMs: positive(v.config.timeout_ms) ?? this.#opts.timeoutMs,
      loadTimeoutMs: this.#opts.loadTimeoutMs,
    })
    for (const w of warnings) ctx.progress(`warning: ${w}`)
    const session = new PythonSession(pool, inputSchema, outputSchema, label, () => this.#sessions.delete(session))
    this.#sessions.add(session)
    return session
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#sessions].map((s) => s.close()))
  }

  get #env(): NodeJS.ProcessEnv {
    return this.#opts.env ?? process.env
  }

  // Pickles must run sandboxed unless QUIVER_SANDBOX=off; other model files run sandboxed when bwrap works.
  async #sandbox(fileName: string, pickled: boolean, python: PythonProbe, path: string): Promise<WorkerSandbox | undefined> {
    const state = pickled ? await requireSandbox(fileName, this.#env) : await sandboxState(this.#env)
    if (state.kind !== 'bwrap') return undefined
    return { bwrap: state.bwrap, spec: { executable: python.executable, pythonPaths: python.paths, readOnly: [path] } }
  }
}

// Every Python framework: model files are data that may hide code, and python/custom steps are code that must not reach
// other workspaces' models, the home or the network.
const SANDBOXED = new Set<string>(['sklearn', 'xgboost', 'pytorch', 'python', 'custom'])

function isPythonFramework(f: string): f is PythonFramework {
  return (PYTHON_FRAMEWORKS as readonly string[]).includes(f)
}

function requireSchema(schema: ModelSchema | null, which: string, framework: string): ModelSchema {
  if (!schema || schema.length === 0) {
    throw new InvalidInput(`${framework} models need an ${which} schema (see SPEC §3: sklearn/xgboost take one field 'inputs', pytorch 'input'/'output')`, { field: `${which}_schema` })
  }
  return schema
}

function fieldsOf(schema: ModelSchema) {
  return schema.map((f) => ({ name: f.name, nullable: f.nullable, ...wireLayout(f) }))
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined
}

/** Pickle protocol 2+ or a compressed joblib container, as opposed to XGBoost's JSON/UBJ files. */
async function looksPickled(path: string): Promise<boolean> {
  const fh = await open(path, 'r')
  try {
    const head = Buffer.alloc(2)
    await fh.read(head, 0, 2, 0)
    return head[0] === 0x80 || head[0] === 0x78 || (head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0x42 && head[1] === 0x5a) || head[0] === 0xfd || (head[0] === 0x5d && head[1] === 0x00)
  } finally {
    await fh.close()
  }
}
