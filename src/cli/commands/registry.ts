/** `quiver registry add|list|models|versions` (SPEC §10): other registries to import models from. */
import { Command, Option } from 'commander'
import type { RegistryType } from '../../api/registry-api.js'
import { withApi } from '../context.js'
import { printJson, printTable, shortTime } from '../output.js'

export function registryCommand(): Command {
  const registry = new Command('registry').description('other registries (MLflow, another Quiver) to import models from')

  registry.command('add')
    .description('add a registry')
    .argument('<name>', 'its name here (DNS label)')
    .addOption(new Option('--type <type>', 'mlflow (a tracking server\'s REST API) or quiver (another Quiver server)').choices(['mlflow', 'quiver']).makeOptionMandatory())
    .requiredOption('--url <url>', 'its base URL, e.g. http://127.0.0.1:5000')
    .option('--token-env <var>', 'the environment variable holding its token (a Quiver peer running serve --auth); read at each call, never stored')
    .action(async (name: string, o, cmd: Command) => {
      const req = { name, type: o.type as RegistryType, url: o.url, ...(o.tokenEnv === undefined ? {} : { token_env: o.tokenEnv as string }) }
      const added = await withApi(cmd, (api, g) => api.registries.add(req, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(added)
      process.stdout.write(`registry ${added.name} (${added.type}) at ${added.url}${added.token_env ? `, token from $${added.token_env}` : ''}\n`)
    })

  registry.command('list')
    .description('list the registries')
    .action(async (_o, cmd: Command) => {
      const all = await withApi(cmd, (api, g) => api.registries.list({ workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(all)
      printTable(['NAME', 'TYPE', 'URL', 'ADDED'], all.map((r) => [r.name, r.type, r.url, shortTime(r.created_at)]))
    })

  registry.command('models')
    .description('list the models of a registry')
    .argument('<registry>')
    .action(async (name: string, _o, cmd: Command) => {
      const models = await withApi(cmd, (api, g) => api.registries.models(name, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(models)
      printTable(['NAME', 'LATEST', 'UPDATED', 'DESCRIPTION'], models.map((m) => [m.name, m.latest_version ?? '-', m.updated_at ? shortTime(m.updated_at) : '-', m.description ?? '']))
    })

  registry.command('versions')
    .description('list the versions of a registry\'s model')
    .argument('<registry>')
    .argument('<model>')
    .action(async (name: string, model: string, _o, cmd: Command) => {
      const versions = await withApi(cmd, (api, g) => api.registries.versions(name, model, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(versions)
      printTable(['VERSION', 'STATUS', 'FRAMEWORK', 'CREATED'], versions.map((v) => [v.version, v.status ?? '-', v.framework ?? '-', v.created_at ? shortTime(v.created_at) : '-']))
    })

  return registry
}
