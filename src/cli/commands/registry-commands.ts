import { Command } from 'commander'
import { withApi } from '../context.js'
import { printJson, printTable, shortTime } from '../output.js'
import { EXIT_FAILURE } from '../exit-codes.js'

export function modelsCommand(): Command {
  return new Command('models').description('list the models of the workspace').action(async (_o, cmd: Command) => {
    const models = await withApi(cmd, (api, g) => api.listModels({ workspace: g.workspace }))
    if (cmd.optsWithGlobals().json) return printJson(models)
    printTable(
      ['NAME', 'VERSIONS', 'LATEST', 'FRAMEWORK', 'TAGS', 'UPDATED'],
      models.map((m) => [m.name, String(m.versions), m.latest_seq ? `#${m.latest_seq}` : '-', m.framework, m.tags.join(',') || '-', shortTime(m.last_update_time)]),
    )
  })
}

export function versionsCommand(): Command {
  return new Command('versions')
    .description('list the versions of a model, oldest first')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const versions = await withApi(cmd, (api, g) => api.listVersions(name, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(versions)
      printTable(
        ['SEQ', 'VERSION', 'STATUS', 'FRAMEWORK', 'RUNTIME', 'TAGS', 'SHA256', 'CREATED'],
        versions.map((v) => [`#${v.seq}`, v.version, v.status, v.framework, v.runtime, v.tags.join(',') || '-', v.sha256.slice(0, 12), shortTime(v.created_at)]),
      )
    })
}

export function statusCommand(): Command {
  return new Command('status')
    .description('show the status of a version (pending_conversion, converting, ready, error)')
    .argument('<ref>')
    .action(async (ref: string, _o, cmd: Command) => {
      const v = await withApi(cmd, (api, g) => api.getVersion(ref, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson({ name: v.name, seq: v.seq, version: v.version, status: v.status, error_message: v.error_message })
      process.stdout.write(`${v.name}#${v.seq} ${v.status}${v.error_message ? `: ${v.error_message}` : ''}\n`)
      if (v.status === 'error') process.exitCode = EXIT_FAILURE
    })
}

export function tagCommand(): Command {
  return new Command('tag')
    .description('point TAG at a version (moving it from any other version of the model)')
    .argument('<ref>')
    .argument('<tag>')
    .action(async (ref: string, tag: string, _o, cmd: Command) => {
      const v = await withApi(cmd, (api, g) => api.tag(ref, tag, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(v)
      process.stdout.write(`${v.name}@${tag} → #${v.seq} (${v.version})\n`)
    })
}

export function untagCommand(): Command {
  return new Command('untag')
    .description('remove TAG from model NAME')
    .argument('<name>')
    .argument('<tag>')
    .action(async (name: string, tag: string, _o, cmd: Command) => {
      await withApi(cmd, (api, g) => api.untag(name, tag, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson({ name, tag, removed: true })
      process.stdout.write(`removed tag ${tag} from ${name}\n`)
    })
}
