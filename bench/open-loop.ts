/**
 * A fixed-rate (open-loop) load, wrk2's way: request `i` is due at `start + i / rate` whether or not
 * earlier ones were answered, and its latency counts from that due time, so a stalled server is
 * charged for the requests it kept waiting. Node's timers fire up to a millisecond late, which
 * would count against the server; a worker thread sleeps to each due time with `Atomics.wait`
 * (microsecond-exact, no spinning) and posts its index, which wakes this thread at once to send.
 */
import { Worker } from 'node:worker_threads'

const TICKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { startNs, intervalNs, total } = workerData
const cell = new Int32Array(new SharedArrayBuffer(4))
for (let i = 0; i < total; i++) {
  const due = BigInt(startNs) + BigInt(Math.round(i * intervalNs))
  for (;;) {
    const left = Number(due - process.hrtime.bigint()) / 1e6
    if (left <= 0) break
    Atomics.wait(cell, 0, 0, left)
  }
  parentPort.postMessage(i)
}
`

export interface OpenLoopResult {
  /** Latency of each request from its due time, µs, sorted. */
  latencies: number[]
  /** How late this process started sending, from the due time, µs, sorted (the generator's own error). */
  sendLag: number[]
}

/** Calls `send(i)` at `rate` per second for `seconds`; resolves once every call has settled. A failed call fails the run. */
export async function openLoop(send: (i: number) => Promise<void>, rate: number, seconds: number): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds)
  const intervalNs = 1e9 / rate
  const startNs = process.hrtime.bigint() + 50_000_000n
  const latencies: number[] = []
  const sendLag: number[] = []
  let failed: unknown
  const worker = new Worker(TICKER, { eval: true, workerData: { startNs: startNs.toString(), intervalNs, total } })
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = 0
      const settle = () => {
        if (++settled === total) resolve()
      }
      worker.on('error', reject)
      worker.on('message', (i: number) => {
        const due = startNs + BigInt(Math.round(i * intervalNs))
        sendLag.push(Number(process.hrtime.bigint() - due) / 1000)
        send(i).then(
          () => latencies.push(Number(process.hrtime.bigint() - due) / 1000),
          (err: unknown) => (failed ??= err),
        ).finally(settle)
      })
    })
  } finally {
    await worker.terminate()
  }
  if (failed) throw failed
  latencies.sort((a, b) => a - b)
  sendLag.sort((a, b) => a - b)
  return { latencies, sendLag }
}

/** User + system CPU time of a process so far, in µs (Linux `/proc/<pid>/stat`; clock ticks of 10 ms). */
export async function processCpuUs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100)
}
