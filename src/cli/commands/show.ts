import { Command } from 'commander'
import { typeLabel, type ModelSchema } from '../../data/schema.js'
import type { VersionRecord } from '../../records/version-record.js'
import { withApi } from '../context.js'
import { printJson } from '../output.js'

export function showCommand(): Command {
  return new Command('show')
    .description('show one version: NAME, NAME@TAG, NAME:UUID or NAME#SEQ')
    .argument('<ref>', 'model reference')
    .action(async (ref: string, _o, cmd: Command) => {
      const v = await withApi(cmd, (api, g) => api.getVersion(ref, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) printJson(v)
      else process.stdout.write(describeVersion(v))
    })
}

export function describeVersion(v: VersionRecord): string {
  const rows: [string, string][] = [
    ['name', `${v.workspace === 'default' ? '' : `${v.workspace}/`}${v.name}#${v.seq}`],
    ['version', v.version],
    ['id', String(v.id)],
    ['status', v.status + (v.error_message ? ` (${v.error_message})` : '')],
    ['framework', v.framework],
    ['runtime', v.runtime + (v.config.runtime_detail ? ` (${v.config.runtime_detail})` : '')],
    ['file', `${v.file_name} (${v.size_bytes} bytes)`],
    ['sha256', v.sha256],
    ['tags', v.tags.join(', ') || '-'],
    ['arch / accel', `${v.arch} / ${v.accel}`],
    ['created', v.created_at],
    ['updated', v.last_update_time],
  ]
  if (v.description) rows.push(['description', v.description])
  if (Object.keys(v.metadata).length) rows.push(['metadata', JSON.stringify(v.metadata)])
  for (const [name, sha] of Object.entries(v.additional_files)) rows.push([`file ${name}`, sha])
  const width = Math.max(...rows.map(([k]) => k.length))
  let out = rows.map(([k, val]) => `${k.padEnd(width)}  ${val}`).join('\n') + '\n'
  out += describeSchema('inputs', v.input_schema) + describeSchema('outputs', v.output_schema)
  return out
}

function describeSchema(title: string, schema: ModelSchema | null): string {
  if (!schema) return `${title}: (read from the model once converted)\n`
  return `${title}:\n` + schema.map((f) => `  ${f.name}: ${typeLabel(f.type)}${f.nullable ? '' : ' not null'}`).join('\n') + '\n'
}
