/**
 * HTTP load from wrk (a C load generator), so that the HTTP figures measure the server and not the
 * benchmark process: Node's own fetch tops out far below a bare node:http server on this machine.
 * Without wrk installed (Debian package `wrk`), scenarios fall back to their fetch loop.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Measurement } from './measure.js'

const run = promisify(execFile)

export interface WrkLoad {
  url: string
  body: string
  headers: Record<string, string>
  connections: number
}

let available: boolean | undefined

export function wrkAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' })
      available = true
    } catch (err) {
      // wrk --version exits 1 after printing its version; only a missing binary throws ENOENT.
      available = (err as { code?: string }).code !== 'ENOENT'
    }
  }
  return available
}

/** Drives `load` for `seconds` with wrk (2 threads) and reads its request rate and latency percentiles. */
export async function wrkMeasure(name: string, load: WrkLoad, seconds: number): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-wrk-'))
  try {
    const script = join(dir, 'post.lua')
    const headers = Object.entries(load.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n')
    await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(load.body)}\n${headers}\n`)
    const { stdout } = await run('wrk', ['-t2', `-c${load.connections}`, `-d${seconds}s`, '--latency', '-s', script, load.url], { maxBuffer: 1 << 20 })
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout)
    const total = /(\d+) requests in/.exec(stdout)
    if (!rate || !total) throw new Error(`wrk printed no rate: ${stdout.slice(0, 300)}`)
    const bad = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)
    if (bad) throw new Error(`${bad[1]} of ${total[1]} answers were not 200`)
    const errors = /Socket errors: (.*)/.exec(stdout)
    if (errors && /(read|write|timeout) [1-9]/.test(errors[1]!)) throw new Error(`wrk socket errors: ${errors[1]}`)
    return {
      name,
      iterations: Number(total[1]),
      rows: Number(total[1]),
      rows_per_s: Number(rate[1]),
      p50_us: latencyUs(stdout, '50%'),
      p99_us: latencyUs(stdout, '99%'),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function latencyUs(out: string, percentile: string): number {
  const m = new RegExp(`^\\s*${percentile}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out)
  if (!m) return Number.NaN
  const value = Number(m[1])
  return m[2] === 'us' ? value : m[2] === 'ms' ? value * 1e3 : value * 1e6
}
