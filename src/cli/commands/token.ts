import { Command, Option } from 'commander'
import { ROLES, type AuthApi, type Role } from '../../api/auth-api.js'
import type { QuiverApi } from '../../api/quiver-api.js'
import { withApi } from '../context.js'
import { printJson, printTable, progress, shortTime } from '../output.js'

/** The token administration of the core in use: the server's over `--server`, else the home's. */
async function authOf(api: QuiverApi): Promise<AuthApi> {
  return api.auth
}

export function tokenCommand(): Command {
  const token = new Command('token').description('API tokens for a server running with --auth')
  token.addCommand(
    new Command('create')
      .description('create a token for a workspace and role; the token is printed once and never shown again')
      .addOption(new Option('--role <role>', 'viewer (read, infer), editor (also upload, tag), owner (also tokens)').choices(ROLES).makeOptionMandatory())
      .option('--user <name>', 'record the token as this user\'s and make the user a member of the workspace')
      .action(async (o, cmd: Command) => {
        const created = await withApi(cmd, async (api, g) =>
          (await authOf(api)).createToken({ workspace: g.workspace ?? 'default', role: o.role as Role, user: o.user }))
        if (cmd.optsWithGlobals().json) return printJson(created)
        process.stdout.write(`${created.token}\n`)
        progress(`token ${created.id}: ${created.role} in workspace '${created.workspace}'. Store it now; it cannot be shown again.`)
      }),
  )
  token.addCommand(
    new Command('revoke')
      .description('revoke a token by id (tok_…); requests with it are refused from now on')
      .argument('<id>')
      .action(async (id: string, _o, cmd: Command) => {
        const revoked = await withApi(cmd, async (api) => (await authOf(api)).revokeToken(id))
        if (cmd.optsWithGlobals().json) return printJson(revoked)
        process.stdout.write(`revoked ${revoked.id} (${revoked.role} in '${revoked.workspace}')\n`)
      }),
  )
  token.addCommand(
    new Command('list')
      .description('list the tokens of the workspace (ids and roles, never the secrets)')
      .action(async (_o, cmd: Command) => {
        const tokens = await withApi(cmd, async (api, g) => (await authOf(api)).listTokens({ workspace: g.workspace ?? 'default' }))
        if (cmd.optsWithGlobals().json) return printJson(tokens)
        printTable(['ID', 'ROLE', 'USER', 'CREATED', 'REVOKED'], tokens.map((t) => [t.id, t.role, t.user ?? '-', shortTime(t.created_at), t.revoked_at ? shortTime(t.revoked_at) : '-']))
      }),
  )
  return token
}
