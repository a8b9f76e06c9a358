/** `quiver enrich`, `quiver training-set` and `quiver lineage` (SPEC §7). */
import { resolve } from 'node:path'
import { Command, Option } from 'commander'
import type { OfflineResult } from '../../api/feature-api.js'
import { formatLineage, LINEAGE_FORMATS, type LineageFormat } from '../../features/lineage-graph.js'
import { withApi } from '../context.js'
import { printJson } from '../output.js'

const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== '')

function report(r: OfflineResult, json: boolean | undefined): void {
  if (json) return printJson(r)
  process.stdout.write(`wrote ${r.rows} rows to ${r.output} (${r.columns.join(', ')}) in ${r.seconds.toFixed(2)} s\n`)
  for (const [f, m] of Object.entries(r.models)) process.stdout.write(`  ${f} ← ${m}\n`)
}

export function enrichCommand(): Command {
  return new Command('enrich')
    .description('add model outputs or features to a table file, streamed (output format by extension: .parquet .csv .arrow .json)')
    .requiredOption('--input <file>', 'input table (.parquet, .csv, .arrow, .json)')
    .requiredOption('--output <file>', 'output table')
    .option('--model <ref>', 'one model, with --inputs and --as')
    .option('--inputs <cols>', 'input columns the model reads, comma separated', list)
    .option('--as <col>', 'the column the model output goes to')
    .option('--features <refs>', 'features SET.F to compute, comma separated', list)
    .action(async (o: { input: string; output: string; model?: string; inputs?: string[]; as?: string; features?: string[] }, cmd: Command) => {
      const req = { ...o, input: resolve(o.input), output: resolve(o.output) }
      const r = await withApi(cmd, (api, g) => api.features.enrich(req, { workspace: g.workspace }))
      report(r, cmd.optsWithGlobals().json)
    })
}

export function trainingSetCommand(): Command {
  return new Command('training-set')
    .description('point-in-time training set: each spine row plus the features as of its time, never later')
    .requiredOption('--spine <file>', 'spine table: entity keys and a timestamp column')
    .requiredOption('--features <refs>', 'features SET.F, comma separated', list)
    .option('--label <col>', 'the spine column holding the label')
    .option('--time <col>', "the spine's timestamp column (default: the first set's event_time)")
    .option('--window <duration>', 'only values newer than time minus this (30d, 12h); default the set ttl')
    .requiredOption('--output <file>', 'output table (.parquet, .csv, .arrow, .json)')
    .action(async (o: { spine: string; features: string[]; label?: string; time?: string; window?: string; output: string }, cmd: Command) => {
      const req = { ...o, spine: resolve(o.spine), output: resolve(o.output) }
      const r = await withApi(cmd, (api, g) => api.features.trainingSet(req, { workspace: g.workspace }))
      report(r, cmd.optsWithGlobals().json)
    })
}

export function lineageCommand(): Command {
  return new Command('lineage')
    .description('what a feature set, feature, model or training set was made from and what was made from it')
    .argument('<ref>')
    .addOption(new Option('--format <format>', 'json, dot or mermaid').choices([...LINEAGE_FORMATS]).default('json'))
    .option('--upstream', 'only what it was made from')
    .option('--downstream', 'only what was made from it')
    .action(async (ref: string, o: { format: LineageFormat; upstream?: boolean; downstream?: boolean }, cmd: Command) => {
      const direction = o.upstream && !o.downstream ? 'upstream' : o.downstream && !o.upstream ? 'downstream' : 'both'
      const g = await withApi(cmd, (api, gl) => api.features.lineage(ref, { workspace: gl.workspace, direction }))
      process.stdout.write(formatLineage(g, o.format))
    })
}
