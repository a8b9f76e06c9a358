/**
 * Runs a user's Python trainer (`train(X, y, config)`) once, in its own process inside the same
 * bubblewrap sandbox as Python steps: no network, the trainer file read-only, the work folder
 * (training data in, model file out) the only writable place besides a private /tmp. Its output
 * lines are handed on as progress; an abort signal kills it.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { RuntimeFailure, Unsupported } from '../../errors.js'
import { packagePath } from '../../package-path.js'
import { findPython } from './find-python.js'
import { sandboxState, sandboxedCommand } from './sandbox.js'

const TRAIN_SCRIPT = packagePath('src/runtimes/python/worker/quiver_train.py')

export interface PythonTrainerRequest {
  trainer: string
  /** Holds spec.json, X_train.npy, X_valid.npy, y_train.json, y_valid.json; receives the model and result.json. */
  workDir: string
  onLine?: (line: string) => void
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

/** result.json as quiver_train.py writes it. */
export interface PythonTrainerResult {
  framework: 'sklearn' | 'xgboost' | 'pytorch'
  file: string
  input_name: string
  input_item: 'float32' | 'float64'
  output_schema: unknown[]
  classes?: (number | string)[]
  library_versions: Record<string, string>
  validation: { predictions?: (number | string)[]; probabilities?: number[][]; scores?: number[][] }
}

export async function runPythonTrainer(req: PythonTrainerRequest): Promise<PythonTrainerResult & { path: string }> {
  const env = req.env ?? process.env
  const python = await findPython(['numpy', 'pandas'], env, { preferMostModules: true })
  const state = await sandboxState(env)
  if (state.kind === 'missing') {
    throw new Unsupported(`trainers run only inside the bubblewrap sandbox, and ${state.reason}: install Debian's bubblewrap package (scripts/install-system-deps.sh), or set QUIVER_SANDBOX=off to run them unsandboxed`)
  }
  const trainer = resolve(req.trainer)
  const workDir = resolve(req.workDir)
  const args = [TRAIN_SCRIPT, trainer, workDir]
  const cmd = state.kind === 'bwrap'
    ? sandboxedCommand(state.bwrap, { executable: python.executable, pythonPaths: python.paths, readOnly: [trainer], writable: [workDir], env }, ['-u', ...args])
    : { command: python.command, args: ['-u', ...args], env: { ...env, PYTHONUNBUFFERED: '1' } }
  req.signal?.throwIfAborted()
  const child = spawn(cmd.command, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const tail: string[] = []
  const lines = (stream: NodeJS.ReadableStream) => {
    let buf = ''
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => {
      buf += d
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        tail.push(line)
        if (tail.length > 40) tail.shift()
        req.onLine?.(line)
      }
    })
  }
  lines(child.stdout)
  lines(child.stderr)
  const kill = () => child.kill('SIGKILL')
  req.signal?.addEventListener('abort', kill, { once: true })
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail)
    child.once('close', (c) => done(c))
  }).finally(() => req.signal?.removeEventListener('abort', kill))
  req.signal?.throwIfAborted()
  const result = await readFile(join(workDir, 'result.json'), 'utf8').then((t) => JSON.parse(t) as PythonTrainerResult & { error?: string }).catch(() => null)
  if (result?.error) throw new RuntimeFailure(`the trainer failed: ${result.error}`, { trainer: req.trainer })
  if (code !== 0 || !result) {
    throw new RuntimeFailure(`the trainer process exited with ${code ?? 'a signal'} without a result${tail.length ? `: ${tail.slice(-5).join(' | ')}` : ''}`, { trainer: req.trainer })
  }
  return { ...result, path: join(workDir, result.file) }
}
