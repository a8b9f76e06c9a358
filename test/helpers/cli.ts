import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '../..')
export const BIN = join(REPO, 'bin/quiver')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real `bin/quiver` as a child process. */
export function runCli(args: string[], opts: { home?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  const full = opts.home ? ['--home', opts.home, ...args] : args
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...full], {
      cwd: REPO,
      env: { ...process.env, QUIVER_DATABASE_URL: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
  })
}

/** A fresh temporary folder; the caller removes it with `removeTemp` in its own `after` hook. */
export function makeTemp(prefix = 'quiver-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export function removeTemp(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve()
}
