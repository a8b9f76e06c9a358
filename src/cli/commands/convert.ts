import { Command } from 'commander'
import { withApi } from '../context.js'
import { printJson, progress } from '../output.js'

const collect = (value: string, previous: string[] = []) => [...previous, value]

/** Finishes a `--no-wait` upload: runs the conversion of a version still pending. */
export function convertCommand(): Command {
  return new Command('convert')
    .description('convert a version left in pending_conversion (what --no-wait leaves for later)')
    .argument('<ref>')
    .option('--tag <tag>', 'tag the version once ready (repeatable)', collect)
    .action(async (ref: string, o, cmd: Command) => {
      const v = await withApi(cmd, (api, g) => api.convertPending(ref, { workspace: g.workspace, tags: o.tag ?? [], onProgress: progress }))
      if (cmd.optsWithGlobals().json) printJson(v)
      else process.stdout.write(`${v.name}#${v.seq} ${v.status}\n`)
    })
}
