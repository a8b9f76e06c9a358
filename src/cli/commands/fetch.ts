import { Command } from 'commander'
import { keyFromText } from '../../features/online-fetch.js'
import { withApi } from '../context.js'
import { printJson, printTable } from '../output.js'

const collect = (v: string, all: string[]) => [...all, v]

/** `quiver fetch SET --key COL=VALUE… [--features F,…]`: one entity's features, online. */
export function fetchCommand(): Command {
  return new Command('fetch')
    .description('online features of one entity: base features from the online store, derived (model) features computed now')
    .argument('<set>')
    .requiredOption('--key <col=value>', 'an entity key column and its value (repeat for composite keys)', collect, [])
    .option('--features <list>', 'comma-separated features (default: all)')
    .action(async (set: string, o: { key: string[]; features?: string }, cmd: Command) => {
      const features = o.features?.split(',').map((s) => s.trim()).filter(Boolean)
      const result = await withApi(cmd, async (api, g) => {
        const record = await api.features.show(set, { workspace: g.workspace })
        return api.features.fetch(set, keyFromText(record.keys, o.key), { workspace: g.workspace, features })
      })
      if (cmd.optsWithGlobals().json) return printJson(result)
      printTable(['FEATURE', 'VALUE', 'MODEL'], Object.entries(result.features).map(([f, v]) => [
        f, v === null ? '(missing)' : typeof v === 'string' ? v : JSON.stringify(v), result.models[f] ?? '-',
      ]))
    })
}
