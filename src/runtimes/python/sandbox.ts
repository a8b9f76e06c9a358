/**
 * Runs a model-loading Python process inside Debian's bubblewrap (`bwrap`): no network, its own
 * PID/IPC/UTS namespaces, a read-only view of only the system folders, the interpreter's own
 * folders and Quiver's scripts, the one model file (or folder) bound read-only at its own path,
 * a private writable tmpfs as /tmp (also HOME and the working folder), and, when asked, one
 * private shared-memory folder that the parent reaches too. Nothing of the Quiver home or the
 * artifact store is visible, so a payload that gets past both pickle checks still cannot write
 * outside its scratch, read other models, or open a socket.
 *
 * QUIVER_SANDBOX=off runs model processes unsandboxed. Without it, and without a working bwrap,
 * untrusted pickles are refused (see {@link requireSandbox}).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Unsupported } from '../../errors.js'
import { packagePath } from '../../package-path.js'

export type SandboxState = { kind: 'bwrap'; bwrap: string } | { kind: 'off' } | { kind: 'missing'; reason: string }

// The system folders a Python interpreter and its C libraries read; everything else stays hidden.
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']
const SYSTEM_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime', '/etc/nsswitch.conf']
const SCRIPT_FOLDERS = ['src/runtimes/python/worker', 'src/runtimes/convert']
// Environment variables passed into the sandbox; the rest (tokens, database URLs) stay outside.
const PASSED_ENV = /^(PATH|LANG|LANGUAGE|LC_\w+|TZ|PYTHON\w*|OMP_\w+|MKL_\w+|OPENBLAS_\w+|KMP_\w+|NUMEXPR_\w+|XGBOOST_\w+)$/

const probes = new Map<string, Promise<SandboxState>>()

/** Whether model processes run sandboxed here; checked once per `bwrap` command by actually starting one. */
export function sandboxState(env: NodeJS.ProcessEnv = process.env): Promise<SandboxState> {
  const setting = (env.QUIVER_SANDBOX ?? '').toLowerCase()
  if (setting === 'off' || setting === '0' || setting === 'false') return Promise.resolve({ kind: 'off' })
  const bwrap = env.QUIVER_BWRAP || 'bwrap'
  let p = probes.get(bwrap)
  if (!p) {
    p = new Promise((resolve) => {
      execFile(bwrap, ['--ro-bind', '/', '/', '--unshare-net', '--unshare-pid', '--dev', '/dev', '--proc', '/proc', '--die-with-parent', 'true'], { timeout: 10_000 }, (err, _out, stderr) => {
        if (!err) return resolve({ kind: 'bwrap', bwrap })
        const code = (err as NodeJS.ErrnoException).code
        resolve({ kind: 'missing', reason: code === 'ENOENT' ? `${bwrap} is not installed` : `${bwrap} does not start here (${String(stderr).trim() || err.message})` })
      })
    })
    probes.set(bwrap, p)
  }
  return p
}

/**
 * Throws Unsupported when untrusted pickles cannot be sandboxed: bwrap missing or broken and
 * QUIVER_SANDBOX not set to off.
 */
export async function requireSandbox(fileName: string, env: NodeJS.ProcessEnv = process.env): Promise<SandboxState> {
  const state = await sandboxState(env)
  if (state.kind === 'missing') {
    throw new Unsupported(
      `${fileName} is a pickle, which Quiver loads only inside the bubblewrap sandbox, and ${state.reason}: ` +
      "install Debian's bubblewrap package (scripts/install-system-deps.sh), or set QUIVER_SANDBOX=off to load pickles unsandboxed",
    )
  }
  return state
}

export interface SandboxSpec {
  /** Absolute interpreter path (the probe's sys.executable). */
  executable: string
  /** The interpreter's own folders (the probe's paths), bound read-only. */
  pythonPaths: readonly string[]
  /** Model files or folders, bound read-only at their own paths. */
  readOnly: readonly string[]
  /** Folders bound writable at their own paths (the worker's shared-memory folder). */
  writable?: readonly string[]
  env: NodeJS.ProcessEnv
}

/** The `bwrap` command line that runs `executable args…` inside the sandbox, and its environment. */
export function sandboxedCommand(bwrap: string, spec: SandboxSpec, args: readonly string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const out = [
    '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv',
  ]
  for (const dir of SYSTEM_FOLDERS) out.push('--ro-bind-try', dir, dir)
  for (const file of SYSTEM_FILES) out.push('--ro-bind-try', file, file)
  out.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/dev/shm')
  const bound = new Set<string>()
  const bind = (flag: string, path: string) => {
    if (bound.has(path) || !existsSync(path)) return
    bound.add(path)
    out.push(flag, path, path)
  }
  for (const p of spec.pythonPaths) if (!isUnder(p, SYSTEM_FOLDERS)) bind('--ro-bind', p)
  for (const rel of SCRIPT_FOLDERS) bind('--ro-bind', packagePath(rel))
  for (const p of spec.readOnly) bind('--ro-bind', p)
  for (const p of spec.writable ?? []) bind('--bind', p)
  const env: NodeJS.ProcessEnv = { HOME: '/tmp', TMPDIR: '/tmp', QUIVER_SANDBOXED: '1' }
  for (const [k, v] of Object.entries(spec.env)) if (PASSED_ENV.test(k) && v !== undefined) env[k] = v
  for (const [k, v] of Object.entries(env)) out.push('--setenv', k, v!)
  out.push('--chdir', '/tmp', '--', spec.executable, ...args)
  return { command: bwrap, args: out, env: { PATH: spec.env.PATH ?? process.env.PATH } }
}

function isUnder(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(`${r}/`))
}
