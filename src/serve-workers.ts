/**
 * `quiver serve --workers N`: N server processes on one port (node:cluster hands each new
 * connection to one of them), sharing one installation through PostgreSQL and the artifact store
 * exactly as replicas on separate machines do. The first process starts alone, so that it alone
 * migrates the schema; a process that dies is replaced; SIGTERM drains every process.
 */
import cluster, { type Worker } from 'node:cluster'
import { InvalidInput } from './errors.js'
import { serveQuiver, type ServeOptions, type ServingQuiver } from './serve.js'

export interface WorkersOptions extends ServeOptions {
  workers: number
  /** Where notes about processes go (stderr in the command line). */
  note?: (line: string) => void
}

export interface ServingWorkers {
  url: string
  /** Process ids of the serving processes now. */
  pids(): number[]
  close(): Promise<void>
}

/** A worker tells the primary where it listens, once it does. */
interface ListeningMessage {
  quiver: 'listening'
  url: string
}

/** Why N processes cannot share this installation, or undefined when they can. */
export function workersRefusal(workers: number, databaseUrl = process.env.QUIVER_DATABASE_URL): string | undefined {
  if (workers <= 1 || databaseUrl) return undefined
  return `--workers ${workers} runs ${workers} server processes on one installation, and the embedded database (PGlite) belongs to one process: ` +
    'set QUIVER_DATABASE_URL=postgres://… so that they share PostgreSQL (docs/operations.md), or serve with one worker'
}

/** In a worker process: serve, then report the address to the primary. */
export async function serveAsWorker(opts: ServeOptions): Promise<ServingQuiver> {
  const running = await serveQuiver(opts)
  process.send?.({ quiver: 'listening', url: running.url } satisfies ListeningMessage)
  return {
    ...running,
    async close() {
      await running.close()
      // The channel to the primary would keep this process alive once everything else has stopped.
      process.disconnect?.()
    },
  }
}

/** In the primary process: start the workers and keep N of them running until closed. */
export async function serveWorkers(opts: WorkersOptions): Promise<ServingWorkers> {
  const refusal = workersRefusal(opts.workers)
  if (refusal) throw new InvalidInput(refusal, { field: '--workers', got: String(opts.workers) })
  const note = opts.note ?? (() => {})
  let closing = false
  const live = new Set<Worker>()

  const start = () => new Promise<string>((resolve, reject) => {
    const worker = cluster.fork()
    live.add(worker)
    const onMessage = (m: ListeningMessage) => {
      if (m?.quiver !== 'listening') return
      worker.off('message', onMessage)
      resolve(m.url)
    }
    worker.on('message', onMessage)
    worker.once('exit', (code, signal) => {
      live.delete(worker)
      reject(new Error(`server process ${worker.process.pid} exited (${signal ?? code}) before listening`))
      if (closing) return
      note(`server process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`)
      // A process that cannot start at all would be restarted in a tight loop; the delay bounds it.
      setTimeout(() => { if (!closing) start().catch((err: unknown) => note(String(err))) }, 500).unref()
    })
  })

  // The first alone (it migrates), then the rest together; with --port 0 node:cluster gives them all the first one's port.
  const url = await start()
  await Promise.all(Array.from({ length: opts.workers - 1 }, () => start()))

  return {
    url,
    pids: () => [...live].map((w) => w.process.pid!).filter((pid) => pid !== undefined),
    async close() {
      closing = true
      await Promise.all([...live].map((w) => new Promise<void>((resolve) => {
        if (w.isDead()) return resolve()
        w.once('exit', () => resolve())
        w.process.kill('SIGTERM')
      })))
    },
  }
}
