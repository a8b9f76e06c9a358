import { setFlagsFromString } from 'node:v8'
import type { Command } from 'commander'
import type { QuiverApi } from '../api/quiver-api.js'

export interface GlobalOptions {
  home?: string
  server?: string
  token?: string
  workspace?: string
  json?: boolean
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

let jobsStarted = 0

/** How many queued jobs this process has started while holding a home (each may change the store). */
export function jobsStartedHere(): number {
  return jobsStarted
}

/** The core this command talks to: in process on the home folder, or a server over HTTP. */
export async function openApi(opts: GlobalOptions): Promise<QuiverApi> {
  if (opts.server) {
    const { RemoteQuiverApi } = await import('../client/remote-api.js')
    return new RemoteQuiverApi({ url: opts.server, token: opts.token ?? process.env.QUIVER_TOKEN })
  }
  oneShotWasm()
  const [{ createLocalQuiver }, { defaultHome }] = await Promise.all([import('../api/create-local.js'), import('../api/default-home.js')])
  return createLocalQuiver({
    home: opts.home ?? defaultHome(),
    // Jobs earlier commands queued (a --no-wait upload's conversion) run before this one releases the home.
    runJobs: 'earlier',
    onJob: (job, phase, state) => {
      if (phase === 'started') jobsStarted++
      const what = `job ${job.id} (${job.kind}${typeof job.payload.model === 'string' ? ` ${job.workspace}/${job.payload.model}` : ''})`
      process.stderr.write(phase === 'started' ? `quiver: running queued ${what}\n` : `quiver: ${what} ${state}\n`)
    },
    onAbandoned: (failed) => {
      for (const f of failed) process.stderr.write(`quiver: ${f.workspace}/${f.name}#${f.seq} moved to error: ${f.message}\n`)
    },
  })
}

/**
 * A command that opens the home runs a few queries and exits, while V8 would spend both cores
 * recompiling the embedded database's WASM with its optimizing tier. Baseline code alone cuts the
 * open by about 40% (measured ~700 → ~410 ms on two busy cores). `serve` does not come through
 * here and keeps the optimizing tier for its long life.
 */
function oneShotWasm(): void {
  setFlagsFromString('--liftoff-only')
}

/** Opens the API, runs `fn`, and always closes it (releasing the home lock and workers). */
export async function withApi<T>(cmd: Command, fn: (api: QuiverApi, opts: GlobalOptions) => Promise<T>): Promise<T> {
  const opts = globalOptions(cmd)
  const api = await openApi(opts)
  try {
    return await fn(api, opts)
  } finally {
    await api.close()
  }
}
