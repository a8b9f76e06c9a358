import cluster from 'node:cluster'
import { Command, Option } from 'commander'
import { InvalidInput } from '../../errors.js'
import { globalOptions } from '../context.js'
import { progress } from '../output.js'

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i
const UNITS: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** `64Mi`, `1GiB`, `500k`, `1048576` → bytes. */
export function parseSize(text: string, flag: string): number {
  const m = SIZE.exec(text.trim())
  if (!m) throw new InvalidInput(`${flag} expects a size such as 64Mi or 1G, got ${JSON.stringify(text)}`, { field: flag, got: text })
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b')[0]!.toLowerCase()]!)
}

function parseWorkers(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > 256) throw new InvalidInput(`--workers expects 1..256, got ${JSON.stringify(text)}`, { field: '--workers', got: text })
  return n
}

function parsePort(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535) throw new InvalidInput(`--port expects 0..65535, got ${JSON.stringify(text)}`, { field: '--port', got: text })
  return n
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the home folder over HTTP: REST /v1, Open Inference Protocol /v2, /openapi.json, /metrics')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to bind (0 picks a free one)', '8080')
    .option('--strict-readiness', 'start every deployed pipeline at once; /v2/health/ready answers 503 until all are loaded')
    .option('--auth', 'require Authorization: Bearer TOKEN on every route but health (also QUIVER_AUTH=1)')
    .option('--max-body <size>', 'largest inference or JSON body (e.g. 64Mi)', '64Mi')
    .option('--max-upload <size>', 'largest uploaded model file (e.g. 64Gi)', '64Gi')
    .option('--workers <n>', 'server processes sharing the port (needs QUIVER_DATABASE_URL when more than 1)', process.env.QUIVER_WORKERS ?? '1')
    .addOption(new Option('--log-level <level>', 'request log level on stderr').choices(['debug', 'info', 'warn', 'error', 'off']).default('info'))
    .action(async (o, cmd: Command) => {
      const g = globalOptions(cmd)
      if (g.server) throw new InvalidInput('serve runs on the home folder; it cannot be combined with --server')
      const workers = parseWorkers(String(o.workers))
      const [{ serveQuiver }, { defaultHome }, { serveAsWorker, serveWorkers, workersRefusal }] = await Promise.all([
        import('../../serve.js'), import('../../api/create-local.js'), import('../../serve-workers.js'),
      ])
      const refusal = workersRefusal(workers)
      if (refusal) throw new InvalidInput(refusal, { field: '--workers', got: String(workers) })
      const opts = {
        home: g.home ?? defaultHome(),
        host: o.host,
        port: parsePort(String(o.port)),
        auth: Boolean(o.auth) || process.env.QUIVER_AUTH === '1' || process.env.QUIVER_AUTH === 'true',
        maxBodyBytes: parseSize(o.maxBody, '--max-body'),
        maxUploadBytes: parseSize(o.maxUpload, '--max-upload'),
        logLevel: o.logLevel === 'off' ? false : o.logLevel,
        strictReadiness: Boolean(o.strictReadiness),
      }
      const running = cluster.isWorker ? await serveAsWorker(opts)
        : workers > 1 ? await serveWorkers({ ...opts, workers, note: progress })
        : await serveQuiver(opts)
      // The first line on stdout is the bound address, so that scripts can start with --port 0.
      if (!cluster.isWorker) process.stdout.write(`listening on ${running.url}\n`)
      if (workers > 1 && cluster.isPrimary) progress(`${workers} server processes share ${running.url}`)
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'))
        process.once('SIGINT', () => resolve('SIGINT'))
      })
      progress(`${signal}: finishing in-flight requests, then stopping`)
      await running.close()
    })
}
