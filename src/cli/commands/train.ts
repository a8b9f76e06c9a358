import { Command } from 'commander'
import { InvalidInput } from '../../errors.js'
import { withApi } from '../context.js'
import { printJson, printQueued, progress } from '../output.js'

const collect = (v: string, all: string[]) => [...all, v]

interface TrainOptions {
  trainer: string; trainingSet?: string; spine?: string; features?: string; label?: string; window?: string; date?: string
  config: string[]; tag: string[]; wait: boolean
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a new version of NAME from a training set (a file, or point-in-time from a spine and features)')
    .argument('<name>')
    .requiredOption('--trainer <file>', 'a Python file defining train(X, y, config), or a TS/JS module exporting train')
    .option('--training-set <file>', 'the training set (.csv, .parquet, .json, .arrow)')
    .option('--spine <file>', 'a spine (entity keys, time, label) to build the training set from, point-in-time')
    .option('--features <list>', 'SET.F,... features to look up for --spine')
    .option('--label <col>', 'the label column (none: unsupervised)')
    .option('--window <d>', 'point-in-time window for --spine, e.g. 90d')
    .option('--date <date>', 'the as-of date of this run, recorded (default today)')
    .option('--config <key=value>', 'passed to the trainer (repeatable); seed and validation_fraction drive the split', collect, [])
    .option('--tag <tag>', 'tag the new version (repeatable)', collect, [])
    .option('--no-wait', 'queue it as a job and return at once (follow with quiver jobs wait ID)')
    .action(async (name: string, o: TrainOptions, cmd: Command) => {
      if (!o.trainingSet && !o.spine) throw new InvalidInput('give --training-set FILE, or --spine FILE with --features SET.F,...', { field: 'training-set' })
      const config = Object.fromEntries(o.config.map((kv) => {
        const eq = kv.indexOf('=')
        if (eq <= 0) throw new InvalidInput(`--config expects KEY=VALUE, got ${JSON.stringify(kv)}`, { field: 'config', got: kv })
        return [kv.slice(0, eq), kv.slice(eq + 1)]
      }))
      if (!o.wait) {
        const job = await withApi(cmd, (api, g) => api.jobs.train({
          name, trainer: o.trainer, trainingSet: o.trainingSet, spine: o.spine,
          features: o.features ? o.features.split(',').map((f) => f.trim()).filter(Boolean) : undefined,
          label: o.label, window: o.window, date: o.date, config, tags: o.tag,
        }, { workspace: g.workspace }))
        return printQueued(job, cmd.optsWithGlobals().json)
      }
      const abort = new AbortController()
      const onSigint = () => {
        progress('cancelling training (interrupt again to quit at once)')
        abort.abort(new InvalidInput('training cancelled'))
        process.once('SIGINT', () => process.exit(130))
      }
      process.once('SIGINT', onSigint)
      try {
        const v = await withApi(cmd, (api, g) => api.training.train({
          name, trainer: o.trainer, trainingSet: o.trainingSet, spine: o.spine,
          features: o.features ? o.features.split(',').map((f) => f.trim()).filter(Boolean) : undefined,
          label: o.label, window: o.window, date: o.date, config, tags: o.tag, onProgress: progress, signal: abort.signal,
        }, { workspace: g.workspace }))
        if (cmd.optsWithGlobals().json) return printJson(v)
        const t = v.metadata.training as { rows: number; features: string[]; validation: { rows: number; metrics: Record<string, unknown> | null } }
        const m = t.validation.metrics
        const score = m ? (typeof m.accuracy === 'number' ? `validation accuracy ${m.accuracy.toFixed(4)}` : typeof m.r2 === 'number' ? `validation r2 ${m.r2.toFixed(4)}` : '') : ''
        process.stdout.write(`${v.name}#${v.seq} ${v.version} (${v.framework}, ${v.status}) trained on ${t.rows} rows, ${t.features.length} features${score ? `; ${score} on ${t.validation.rows} rows` : ''}\n`)
      } finally {
        process.removeListener('SIGINT', onSigint)
      }
    })
}
