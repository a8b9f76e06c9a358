import { Command, Option } from 'commander'
import { InvalidInput } from '../../errors.js'
import { globalOptions } from '../context.js'
import { progress } from '../output.js'

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidInput(`${flag} expects ${min}..${max}, got ${JSON.stringify(text)}`, { field: flag, expected: `${min}..${max}`, got: text })
  return n
}

/** `quiver worker`: runs jobs only (no HTTP), for the worker Deployment; drains on SIGTERM. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run queued jobs (conversion, materialization, training, evaluation) and serve nothing; drains on SIGTERM')
    .option('--concurrency <n>', 'jobs run at once', '1')
    .option('--drain-seconds <s>', 'on SIGTERM, how long running jobs may take to finish before they go back to the queue', '25')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['debug', 'info', 'warn', 'error', 'off']).default('info'))
    .action(async (o, cmd: Command) => {
      const g = globalOptions(cmd)
      if (g.server) throw new InvalidInput('worker runs jobs of the home folder or of QUIVER_DATABASE_URL; it cannot be combined with --server')
      const concurrency = wholeNumber(String(o.concurrency), '--concurrency', 1, 64)
      const drainMs = wholeNumber(String(o.drainSeconds), '--drain-seconds', 0, 86_400) * 1000
      const [{ runWorker }, { defaultHome }] = await Promise.all([import('../../work.js'), import('../../api/create-local.js')])
      const running = await runWorker({ home: g.home ?? defaultHome(), concurrency, drainMs, logLevel: o.logLevel === 'off' ? false : o.logLevel })
      process.stdout.write('taking jobs\n')
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'))
        process.once('SIGINT', () => resolve('SIGINT'))
      })
      progress(`${signal}: finishing running jobs (up to ${drainMs / 1000} s), then stopping`)
      await running.close()
      // A job handed back while its handler still runs (a child process) must not keep the process up.
      setTimeout(() => process.exit(), 2000).unref()
    })
}
