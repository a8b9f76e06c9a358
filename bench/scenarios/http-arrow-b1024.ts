import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL, irisTable } from '../iris.js'
import { acquireServer, HTTP_MODEL, httpBudget, post, processCpuUs, releaseServer } from './http-server-process.js'

const ROWS = 1024
const ARROW = 'application/vnd.apache.arrow.stream'
/** Timed calls per piece of the in-process breakdown (after as many untimed ones). */
const PIECE_CALLS = 300

/** One REST request of 1024 rows as Arrow IPC, answered as Arrow IPC (the columnar path end to end). */
function httpArrowScenario(): Scenario {
  let url = ''
  const body = tableToIPC(irisTable(ROWS), 'stream') as Uint8Array<ArrayBuffer>
  const requestUs: number[] = []
  let pieces: { decode: number; run: number; encode: number } | undefined
  let serverPid = 0
  /** Server and client CPU time at the first timed request. */
  let cpuAtStart: { server: number | null; client: number } | undefined
  let cpuPerRequest: { server: number | null; client: number } | undefined
  return {
    name: `http-arrow-b${ROWS}`,
    rawBaseline: `onnx-raw-b${ROWS}`,
    budget: httpBudget(1),
    async setup() {
      const server = await acquireServer()
      url = `${server.url}/v1/models/${HTTP_MODEL}/infer`
      serverPid = server.pid
      const out = tableFromIPC(new Uint8Array(await post(url, body, { 'content-type': ARROW, accept: ARROW })))
      if (out.numRows !== ROWS || !out.getChild('out.species_probs')) throw new Error(`unexpected answer: ${out.numRows} rows, ${out.schema.names.join(', ')}`)
      requestUs.length = 0
      pieces = undefined
      cpuAtStart = undefined
      cpuPerRequest = undefined
    },
    async run() {
      // Counted over every call, warm-up ones included, as requestUs is.
      cpuAtStart ??= { server: processCpuUs(serverPid), client: clientCpuUs() }
      const t0 = process.hrtime.bigint()
      await post(url, body, { 'content-type': ARROW, accept: ARROW })
      requestUs.push(Number(process.hrtime.bigint() - t0) / 1000)
      return ROWS
    },
    async teardown() {
      try {
        if (cpuAtStart && requestUs.length > 0) {
          const server = processCpuUs(serverPid)
          const calls = requestUs.length
          cpuPerRequest = {
            server: server === null || cpuAtStart.server === null ? null : (server - cpuAtStart.server) / calls,
            client: (clientCpuUs() - cpuAtStart.client) / calls,
          }
        }
        if (requestUs.length > 0) pieces = await inProcessPieces(body)
      } finally {
        await releaseServer()
      }
    },
    notes() {
      if (!pieces || requestUs.length === 0) return []
      const request = median(requestUs)
      const rest = request - pieces.decode - pieces.run - pieces.encode
      const lines = [
        `per request, p50: ${us(request)} = decode ${us(pieces.decode)} + run ${us(pieces.run)} + encode ${us(pieces.encode)} ` +
        `(each timed in this process on the code the server runs) + HTTP, write and the rest ${us(rest)}`,
      ]
      if (cpuPerRequest) {
        const server = cpuPerRequest.server
        lines.push(
          `CPU per request: server ${server === null ? 'unknown' : `${us(server)} (of which decode + run + encode ≈ ${us(pieces.decode + pieces.run + pieces.encode)}, ` +
          `HTTP parsing, routing and writing ≈ ${us(server - pieces.decode - pieces.run - pieces.encode)})`}, client (fetch) ${us(cpuPerRequest.client)}`,
        )
      }
      return lines
    },
  }
}

/**
 * The server's three steps for this body, each timed alone in this process: decode (IPC bytes →
 * validated table), run (the inference path on that table), encode (result → IPC bytes).
 */
async function inProcessPieces(body: Uint8Array): Promise<{ decode: number; run: number; encode: number }> {
  const [{ createLocalQuiver }, { readTable }, { writeTable }] = await Promise.all([
    import('../../src/api/create-local.js'), import('../../src/data/table-input.js'), import('../../src/data/table-output.js'),
  ])
  const home = await mkdtemp(join(tmpdir(), 'quiver-bench-arrow-'))
  const api = await createLocalQuiver({ home })
  try {
    await api.uploadModel({ name: HTTP_MODEL, source: { path: IRIS_MODEL }, framework: 'onnx' })
    const schema = (await api.readyVersion(HTTP_MODEL)).input_schema!
    const table = await readTable({ kind: 'arrow', bytes: body }, schema)
    const result = await api.infer(HTTP_MODEL, { kind: 'table', table })
    return {
      decode: await timeCalls(() => readTable({ kind: 'arrow', bytes: body }, schema)),
      run: await timeCalls(() => api.infer(HTTP_MODEL, { kind: 'table', table })),
      encode: await timeCalls(() => writeTable(result, 'arrow')),
    }
  } finally {
    await api.close()
    await rm(home, { recursive: true, force: true })
  }
}

async function timeCalls(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < PIECE_CALLS; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < PIECE_CALLS; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    times.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return median(times)
}

function clientCpuUs(): number {
  const c = process.cpuUsage()
  return c.user + c.system
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function us(n: number): string {
  return `${Math.round(n)} µs`
}

export const scenarios: Scenario[] = [httpArrowScenario()]
