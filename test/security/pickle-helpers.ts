/** Builds the hostile and benign pickles once per test file (Python scripts beside this file). */
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const run = promisify(execFile)
const HERE = fileURLToPath(new URL('.', import.meta.url))
export const SAFE_UNPICKLE_DIR = fileURLToPath(new URL('../../src/runtimes/python/worker/', import.meta.url))

export interface HostileCase {
  name: string
  file: string
  /** A phrase the refusal must contain: the global it names, or the reason. */
  expect: string
  /** Plain joblib.load runs the payload (its marker appears). */
  live: boolean
  /** With `verify`: the payload did write its marker when loaded plainly. */
  verified?: boolean
}

/** Writes the hostile pickles into `dir`; each payload creates `markerDir/<name>` when it runs. */
export async function buildHostile(python: string, dir: string, markerDir: string, verify: boolean, extra: { victim?: string; port?: number } = {}): Promise<HostileCase[]> {
  await mkdir(markerDir, { recursive: true })
  const args = [join(HERE, 'hostile_pickles.py'), dir, markerDir, ...(verify ? ['--verify'] : [])]
  if (extra.victim) args.push('--victim', extra.victim)
  if (extra.port) args.push('--port', String(extra.port))
  const { stdout } = await run(python, args, { maxBuffer: 1 << 24 })
  return JSON.parse(stdout) as HostileCase[]
}

export interface BenignCase {
  file: string
  n_features: number
  x: number[][]
  expected: (number | string)[]
}

/** Trains small sklearn/xgboost models of each family and writes them in every pickle/joblib format. */
export async function buildBenign(python: string, dir: string): Promise<BenignCase[]> {
  const { stdout } = await run(python, [join(HERE, 'benign_models.py'), dir], { maxBuffer: 1 << 24 })
  return JSON.parse(stdout) as BenignCase[]
}

export interface GuardResult {
  file: string
  ok: boolean
  error?: string
  predictions?: (number | string)[]
}

/**
 * Loads each file with the worker's restricted unpickler (quiver_safe_unpickle) in one Python
 * process; loaded models predict on `x` when given.
 */
export async function guardedLoad(python: string, items: { file: string; x?: number[][] }[]): Promise<GuardResult[]> {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(SAFE_UNPICKLE_DIR)})
import numpy as np
import quiver_safe_unpickle
out = []
for item in json.load(sys.stdin):
    try:
        obj = quiver_safe_unpickle.load(item["file"], item["file"].rsplit("/", 1)[-1])
        r = {"file": item["file"], "ok": True}
        if item.get("x") is not None:
            r["predictions"] = np.asarray(obj.predict(np.array(item["x"]))).tolist()
        out.append(r)
    except Exception as exc:
        out.append({"file": item["file"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})
print(json.dumps(out))
`
  const child = execFile(python, ['-c', script], { maxBuffer: 1 << 24 })
  child.stdin!.end(JSON.stringify(items))
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`guarded load exited ${code}: ${err}`))))
  })
  return JSON.parse(stdout) as GuardResult[]
}
