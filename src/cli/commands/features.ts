import { Command } from 'commander'
import { loadDefinitions } from '../../features/load-definitions.js'
import { typeLabel } from '../../data/schema.js'
import { withApi } from '../context.js'
import { printJson, printQueued, printTable, shortTime } from '../output.js'

export function featuresCommand(): Command {
  const features = new Command('features').description('feature sets: definitions, materialization')
  features.command('apply')
    .description('register or update feature-set definitions (.json or .ts); an unchanged one is a no-op')
    .argument('<file>')
    .action(async (file: string, _o, cmd: Command) => {
      const defs = await loadDefinitions(file)
      const applied = await withApi(cmd, (api, g) => api.features.apply(defs, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(applied)
      for (const a of applied) process.stdout.write(`${a.name} v${a.version}${a.changed ? '' : ' (unchanged)'}\n`)
    })
  features.command('list')
    .description('list the feature sets of the workspace (newest versions)')
    .action(async (_o, cmd: Command) => {
      const sets = await withApi(cmd, (api, g) => api.features.list({ workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(sets)
      printTable(['NAME', 'VERSION', 'ENTITY', 'FEATURES', 'CREATED'], sets.map((s) => [
        s.name, `v${s.version}`, s.definition.entity.join(','), String(s.definition.features.length), shortTime(s.created_at),
      ]))
    })
  features.command('show')
    .description('show a feature set: keys, features, models')
    .argument('<set>')
    .option('--version <n>', 'a given version instead of the newest', (v) => Number(v))
    .action(async (name: string, o: { version?: number }, cmd: Command) => {
      const s = await withApi(cmd, (api, g) => api.features.show(name, { workspace: g.workspace, version: o.version }))
      if (cmd.optsWithGlobals().json) return printJson(s)
      const d = s.definition
      process.stdout.write(`${s.name} v${s.version}  entity ${s.keys.map((k) => `${k.name}:${typeLabel(k.type)}`).join(', ')}  event_time ${d.event_time}${d.ttl ? `  ttl ${d.ttl}` : ''}\n`)
      process.stdout.write(`source ${'path' in d.source ? d.source.path : d.source.sql}\n`)
      printTable(['FEATURE', 'TYPE', 'MODEL', 'INPUTS'], d.features.map((f) => [
        f.name, typeLabel(f.type), f.inference?.model ?? '-', f.inference ? JSON.stringify(f.inference.inputs) : '-',
      ]))
    })
  features.command('materialize')
    .description('load the latest value of each entity from the offline source into the online store')
    .argument('<set>')
    .option('--start <time>', 'only source rows at or after this time (ISO-8601 or epoch ms)')
    .option('--end <time>', 'only source rows at or before this time (ISO-8601 or epoch ms)')
    .option('--no-wait', 'queue it as a job and return at once (follow with quiver jobs wait ID)')
    .action(async (name: string, o: { start?: string; end?: string; wait: boolean }, cmd: Command) => {
      if (!o.wait) return printQueued(await withApi(cmd, (api, g) => api.jobs.materialize(name, { workspace: g.workspace, start: o.start, end: o.end })), cmd.optsWithGlobals().json)
      const r = await withApi(cmd, (api, g) => api.features.materialize(name, { workspace: g.workspace, start: o.start, end: o.end }))
      if (cmd.optsWithGlobals().json) return printJson(r)
      process.stdout.write(`${r.set} v${r.version}: ${r.entities} entities into the ${r.store} online store in ${r.seconds.toFixed(2)} s\n`)
    })
  return features
}
