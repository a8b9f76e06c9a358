/** scikit-learn at test time: why it cannot run here (printed, or a failure under CI), and running a script that prints JSON. */
import { execFileSync } from 'node:child_process'

export const PYTHON = process.env.QUIVER_PYTHON ?? '/usr/bin/python3'

/** Undefined when `import sklearn` works; throws when CI is set and it does not. */
export function sklearnSkipReason(what = 'scikit-learn comparisons'): string | undefined {
  let reason: string | undefined
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, numpy'], { stdio: 'pipe', timeout: 120_000 })
  } catch (err) {
    reason = `${PYTHON} cannot import sklearn (${String((err as Error).message).split('\n')[0]})`
  }
  if (reason && process.env.CI) throw new Error(`CI is set, so ${what} may not skip: ${reason}`)
  if (reason) console.log(`# skipping ${what}: ${reason}`)
  return reason
}

/** Runs Python `script` with `input` as JSON on stdin; returns its stdout parsed as JSON. */
export function runPythonJson<T>(script: string, input: unknown): T {
  const out = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(input), timeout: 300_000, maxBuffer: 64 << 20 })
  return JSON.parse(out.toString('utf8')) as T
}
