import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { packagePath } from '../package-path.js'
import { errorMessage } from '../errors.js'
import { convertCommand } from './commands/convert.js'
import { featuresCommand } from './commands/features.js'
import { compareCommand, evaluateCommand, suiteCommand } from './commands/evaluation.js'
import { fetchCommand } from './commands/fetch.js'
import { trainCommand } from './commands/train.js'
import { inferCommand } from './commands/infer.js'
import { jobsCommand } from './commands/jobs.js'
import { enrichCommand, lineageCommand, trainingSetCommand } from './commands/offline.js'
import { pipelineCommand } from './commands/pipeline.js'
import { modelsCommand, statusCommand, tagCommand, untagCommand, versionsCommand } from './commands/registry-commands.js'
import { registryCommand } from './commands/registry.js'
import { serveCommand } from './commands/serve.js'
import { showCommand } from './commands/show.js'
import { tokenCommand } from './commands/token.js'
import { uploadCommand } from './commands/upload.js'
import { workerCommand } from './commands/worker.js'
import { EXIT_USAGE, exitCodeFor } from './exit-codes.js'

export function buildProgram(): Command {
  const program = new Command('quiver')
    .description('Quiver: model registry and inference platform')
    .option('--home <dir>', 'embedded installation folder (default $QUIVER_HOME or ./.quiver)')
    .option('--server <url>', 'talk to a running Quiver server instead')
    .option('--token <token>', 'API token for --server (default $QUIVER_TOKEN)')
    .option('--workspace <name>', 'workspace (default: default)')
    .option('--json', 'machine-readable output on stdout')
    .version(packageVersion(), '-V, --version', 'print the version of Quiver')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
  for (const make of [uploadCommand, modelsCommand, versionsCommand, showCommand, statusCommand, tagCommand, untagCommand, inferCommand, convertCommand, serveCommand, tokenCommand, featuresCommand, pipelineCommand, enrichCommand, trainingSetCommand, lineageCommand, registryCommand, jobsCommand, workerCommand]) {
    program.addCommand(make().exitOverride().configureOutput({ outputError: () => {} }))
  }
  program.addCommand(fetchCommand().exitOverride().configureOutput({ outputError: () => {} }))
  for (const make of [trainCommand, suiteCommand, evaluateCommand, compareCommand]) program.addCommand(make().exitOverride().configureOutput({ outputError: () => {} }))
  return program
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0
      // No command at all: commander has printed the help; its placeholder message is not for people.
      if (err.code === 'commander.help') return EXIT_USAGE
      process.stderr.write(`${err.message.replace(/^error: /, '')}\n`)
      return EXIT_USAGE
    }
    process.stderr.write(`${errorMessage(err)}\n`)
    if (process.env.QUIVER_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`)
    return exitCodeFor(err)
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version
}
