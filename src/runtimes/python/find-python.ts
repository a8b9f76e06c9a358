import { execFile } from 'node:child_process'
import { Unsupported } from '../../errors.js'

/** Modules the Python runtime may need, each with the Debian package that provides it. */
export const PYTHON_MODULES = {
  numpy: 'python3-numpy',
  sklearn: 'python3-sklearn',
  xgboost: 'python3-xgboost',
  torch: 'python3-torch',
  pandas: 'python3-pandas',
  joblib: 'python3-joblib',
  scipy: 'python3-scipy',
} as const
export type PythonModule = keyof typeof PYTHON_MODULES

export interface PythonProbe {
  /** What was asked for (`python3`, a path); used to spawn workers. */
  command: string
  /** `sys.executable` as the interpreter reports it. */
  executable: string
  version: string
  /** Module → version string, or null when `import` failed. */
  modules: Record<PythonModule, string | null>
  /** Module → the import error, for the ones that failed. */
  errors: Partial<Record<PythonModule, string>>
  /** Folders the interpreter reads its standard library and packages from (sys.prefix, sys.path), for the sandbox. */
  paths: string[]
}

const PROBE_TIMEOUT_MS = 120_000
const PROBE_SCRIPT = `
import importlib, json, sys
mods, errs = {}, {}
for name in ${JSON.stringify(Object.keys(PYTHON_MODULES))}:
    try:
        m = importlib.import_module(name)
        mods[name] = str(getattr(m, "__version__", "unknown"))
    except Exception as e:
        mods[name] = None
        errs[name] = f"{type(e).__name__}: {e}"
import os
paths = sorted({os.path.realpath(p) for p in [sys.prefix, sys.exec_prefix, sys.base_prefix, *sys.path] if p and os.path.isdir(p)})
print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], "modules": mods, "errors": errs, "paths": paths}))
`

const probes = new Map<string, Promise<PythonProbe | null>>()

/** Interpreters to try, in order: `QUIVER_PYTHON` alone when set, else `python3` on PATH, then Debian's. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.QUIVER_PYTHON) return [env.QUIVER_PYTHON]
  return ['python3', '/usr/bin/python3']
}

/**
 * Runs one subprocess that imports every module of {@link PYTHON_MODULES} and reports versions.
 * Cached per process; null when the interpreter does not start at all.
 */
export function probePython(command: string): Promise<PythonProbe | null> {
  let p = probes.get(command)
  if (!p) {
    p = new Promise((resolve) => {
      execFile(command, ['-c', PROBE_SCRIPT], { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) return resolve(null)
        try {
          const parsed = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<PythonProbe, 'command'>
          resolve({ command, ...parsed })
        } catch {
          resolve(null)
        }
      })
    })
    probes.set(command, p)
  }
  return p
}

/**
 * The first candidate interpreter that imports every module in `required` (with `preferMostModules`,
 * the fitting one that imports most of {@link PYTHON_MODULES}), or Unsupported naming the first
 * missing module and the Debian package that provides it.
 *
 * @example
 *   const py = await findPython(['numpy', 'xgboost'])   // py.command → '/usr/bin/python3'
 */
export async function findPython(
  required: readonly PythonModule[],
  env: NodeJS.ProcessEnv = process.env,
  opts: { preferMostModules?: boolean } = {},
): Promise<PythonProbe> {
  const candidates = pythonCandidates(env)
  const found: PythonProbe[] = []
  const fitting: PythonProbe[] = []
  for (const command of candidates) {
    const probe = await probePython(command)
    if (!probe) continue
    if (required.every((m) => probe.modules[m] !== null)) {
      if (!opts.preferMostModules) return probe
      fitting.push(probe)
    }
    found.push(probe)
  }
  // User code may import anything: take the interpreter with the richest set of known modules.
  if (fitting.length > 0) return fitting.reduce((a, b) => (moduleCount(b) > moduleCount(a) ? b : a))
  if (found.length === 0) {
    const names = candidates.join(' or ')
    throw new Unsupported(`no Python interpreter could be started (tried ${names}); install Debian's python3 or set QUIVER_PYTHON`)
  }
  // Name the interpreter that came closest, and the first module it lacks.
  const best = found.reduce((a, b) => (missing(b, required).length <= missing(a, required).length ? b : a))
  const module = missing(best, required)[0]!
  const why = best.errors[module]
  throw new Unsupported(
    `${module} is not importable by ${best.command}; install Debian's ${PYTHON_MODULES[module]}` +
      (why && !why.startsWith('ModuleNotFoundError') ? ` (${why})` : ''),
    { python: best.command, module, package: PYTHON_MODULES[module] },
  )
}

function moduleCount(p: PythonProbe): number {
  return Object.values(p.modules).filter((v) => v !== null).length
}

function missing(p: PythonProbe, required: readonly PythonModule[]): PythonModule[] {
  return required.filter((m) => p.modules[m] === null)
}
