/**
 * A `quiver serve --port 0` process on 127.0.0.1 with the iris model uploaded, for the HTTP
 * scenarios: the server runs in its own process and this (the benchmark) process is the load
 * generator.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RemoteQuiverApi } from '../../src/client/remote-api.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL } from '../iris.js'

const BIN = fileURLToPath(new URL('../../bin/quiver', import.meta.url))
export const HTTP_MODEL = 'bench-iris'
/** The scikit-learn logistic regression fixture, served converted: the model the FastAPI anchor serves too. */
export const LOGREG_MODEL = 'bench-logreg'
export const LOGREG_DIR = fileURLToPath(new URL('../../test/fixtures/models/sklearn-logreg-iris/', import.meta.url))

/**
 * Requests sent before timing starts. A freshly started server process needs about a thousand
 * requests before its code is optimised (JIT tiers, lazily loaded modules, young-generation sizing);
 * without them the first HTTP scenario of a run measures warm-up, not serving.
 */
const WARMUP_REQUESTS = { full: 1500, quick: 300 }

/** The measuring budget of an HTTP scenario whose `run()` sends `requestsPerRun` requests. */
export function httpBudget(requestsPerRun: number): NonNullable<Scenario['budget']> {
  return {
    full: { maxIterations: 20_000, warmup: Math.ceil(WARMUP_REQUESTS.full / requestsPerRun) },
    quick: { maxIterations: 2_000, warmup: Math.ceil(WARMUP_REQUESTS.quick / requestsPerRun) },
  }
}

export interface ServerProcess {
  url: string
  /** The server's process id, for reading its CPU time. */
  pid: number
  stop(): Promise<void>
}

/** CPU time (user + system, all threads) a process has used so far, in µs; null where /proc cannot tell. */
export function processCpuUs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS
  } catch {
    return null
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100

let shared: { server: Promise<ServerProcess>; users: number } | undefined

/** One server shared by the HTTP scenarios of a run; the last `release` stops it. */
export function acquireServer(): Promise<ServerProcess> {
  shared ??= { server: startServerProcess(), users: 0 }
  shared.users++
  return shared.server
}

export async function releaseServer(): Promise<void> {
  if (!shared) return
  if (--shared.users > 0) return
  const { server } = shared
  shared = undefined
  await (await server.catch(() => undefined))?.stop()
}

async function startServerProcess(): Promise<ServerProcess> {
  const home = await mkdtemp(join(tmpdir(), 'quiver-bench-http-'))
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0', '--log-level', 'off'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QUIVER_DATABASE_URL: '' },
  })
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await rm(home, { recursive: true, force: true })
  }
  try {
    const url = await listeningUrl(child)
    const api = new RemoteQuiverApi({ url })
    await api.uploadModel({ name: HTTP_MODEL, source: { path: IRIS_MODEL }, framework: 'onnx' })
    const logreg = JSON.parse(await readFile(join(LOGREG_DIR, 'case.json'), 'utf8')) as { input_schema: ModelSchema; output_schema: ModelSchema }
    // Needs Python once, for the conversion; without it the logreg scenarios are skipped, the rest run.
    await api.uploadModel({
      name: LOGREG_MODEL, source: { path: join(LOGREG_DIR, 'model.pkl') }, framework: 'sklearn',
      inputSchema: logreg.input_schema, outputSchema: logreg.output_schema,
    }).catch(() => undefined)
    return { url, pid: child.pid!, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

export function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`quiver serve did not start within 60 s: ${err.trim().split('\n').at(-1)}`)), 60_000)
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^listening on (http:\/\/\S+)\n/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`quiver serve exited with ${code} before listening: ${err.trim().split('\n').at(-1)}`))
    })
  })
}

/** POSTs and reads the whole answer; anything but 200 fails the scenario. */
export async function post(url: string, body: BodyInit, headers: Record<string, string>): Promise<ArrayBuffer> {
  const res = await fetch(url, { method: 'POST', body, headers })
  const bytes = await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`POST ${url} answered ${res.status}: ${Buffer.from(bytes).toString().slice(0, 200)}`)
  return bytes
}

/** SIGTERM to a server process of a scenario, resolved once it has exited. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}
