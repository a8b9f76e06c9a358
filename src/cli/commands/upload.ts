import { readFile } from 'node:fs/promises'
import { Command, Option } from 'commander'
import { checkJsonDepth } from '../../data/json-depth.js'
import { parseSchema, type ModelSchema } from '../../data/schema.js'
import { InvalidInput, errorMessage, isQuiverError } from '../../errors.js'
import type { Arch, Framework } from '../../records/frameworks.js'
import { withApi } from '../context.js'
import { printJson, progress } from '../output.js'
import { EXIT_FAILURE } from '../exit-codes.js'
import { describeVersion } from './show.js'
import { endpointSource, type RemoteEndpoint } from '../../api/remote-endpoint.js'

function endpointOf(url: string, o: { protocol?: string; timeoutMs?: number; retries?: number; tokenEnv?: string }): RemoteEndpoint {
  return { url, protocol: o.protocol ?? 'v2', timeout_ms: o.timeoutMs, retries: o.retries, ...(o.tokenEnv === undefined ? {} : { token_env: o.tokenEnv }) }
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function uploadCommand(): Command {
  return new Command('upload')
    .description('upload a model file as a new version of NAME')
    .argument('<name>', 'model name (DNS label: a-z, 0-9, -)')
    .argument('[path]', 'model file (model.onnx, model.pkl, step.zip, …), or the endpoint URL of a remote model')
    .option('--framework <framework>', 'onnx, sklearn, xgboost, pytorch, python, custom, js, remote, …')
    .option('--from-registry <reg/model/version>', 'import a version of another registry (see quiver registry) instead of a file')
    .option('--input-schema <file>', 'input schema JSON file (see docs/schemas.md); read from the model for onnx')
    .option('--output-schema <file>', 'output schema JSON; read from the model for onnx')
    .option('--tag <tag>', 'tag the version once ready (repeatable)', collect)
    .option('--description <text>', 'free text')
    .option('--meta <key=value>', 'metadata entry (repeatable; values parse as JSON when they can)', collect)
    .option('--file <name=path>', 'additional file stored with the version (repeatable)', collect)
    .option('--tensor-fields <names>', 'rename the model inputs, comma-separated, in order')
    .addOption(new Option('--arch <arch>', 'target architecture').choices(['x86', 'arm']).default('x86'))
    .option('--accel <accel>', 'accelerator (none, cuda, …)', 'none')
    .option('--no-wait', 'return at once with status pending_conversion')
    .option('--trust', 'load a pickle even if it imports globals outside the safe list')
    .option('--protocol <protocol>', 'remote: the endpoint protocol (v2, mlflow, json); PATH is then the endpoint URL')
    .option('--timeout-ms <ms>', 'remote: time one call may take', (v) => Number(v))
    .option('--retries <n>', 'remote: retries on 5xx and connection errors', (v) => Number(v))
    .option('--token-env <var>', 'remote: the environment variable holding the endpoint\'s bearer token (a peer running serve --auth); read at each call, never stored')
    .action(async (name: string, path: string | undefined, o, cmd: Command) => {
      if (o.fromRegistry !== undefined && (path !== undefined || o.framework !== undefined)) {
        throw new InvalidInput('--from-registry imports the artifact and framework from the registry: give neither PATH nor --framework with it', { field: 'from_registry' })
      }
      if (o.fromRegistry === undefined && (path === undefined || o.framework === undefined)) {
        throw new InvalidInput('upload needs PATH and --framework (or --from-registry REG/MODEL/VERSION)', { field: path === undefined ? 'path' : 'framework' })
      }
      const version = await withApi(cmd, async (api, g) => {
        if (o.fromRegistry !== undefined) {
          return api.registries.importVersion({
            name, from: o.fromRegistry, tags: o.tag ?? [], description: o.description, metadata: o.meta ? parseMeta(o.meta) : undefined,
            inputSchema: o.inputSchema ? await readSchemaFile(o.inputSchema, 'input schema') : undefined,
            outputSchema: o.outputSchema ? await readSchemaFile(o.outputSchema, 'output schema') : undefined,
            trust: Boolean(o.trust), onProgress: progress,
          }, { workspace: g.workspace })
        }
        const v = await api.uploadModel({
          name,
          source: o.framework === 'remote' ? endpointSource(endpointOf(path!, o)) : { path: path! },
          framework: o.framework as Framework,
          workspace: g.workspace,
          inputSchema: o.inputSchema ? await readSchemaFile(o.inputSchema, 'input schema') : undefined,
          outputSchema: o.outputSchema ? await readSchemaFile(o.outputSchema, 'output schema') : undefined,
          tags: o.tag ?? [],
          description: o.description,
          metadata: parseMeta(o.meta ?? []),
          additionalFiles: parseFiles(o.file ?? []),
          tensorFields: o.tensorFields ? String(o.tensorFields).split(',').map((s) => s.trim()) : undefined,
          arch: o.arch as Arch,
          accel: o.accel,
          noWait: o.wait === false,
          trust: Boolean(o.trust),
          onProgress: progress,
        })
        return v
      })
      if (cmd.optsWithGlobals().json) printJson(version)
      else process.stdout.write(describeVersion(version))
      if (version.status === 'error') {
        progress(`${version.name}#${version.seq} was registered with status error: ${version.error_message}`)
        process.exitCode = EXIT_FAILURE
      }
    })
}

async function readSchemaFile(path: string, what: string): Promise<ModelSchema> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new InvalidInput(`${what} file ${path} cannot be read`, { field: what, got: path })
  }
  let value: unknown
  checkJsonDepth(text, `${what} file ${path}`)
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidInput(`${what} file ${path} is not valid JSON: ${errorMessage(err)}`, { field: what, got: path })
  }
  return parseSchema(value, `${what} (${path})`)
}

function splitPair(entry: string, flag: string): [string, string] {
  const eq = entry.indexOf('=')
  if (eq <= 0) throw new InvalidInput(`${flag} expects KEY=VALUE, got ${JSON.stringify(entry)}`, { field: flag, got: entry })
  return [entry.slice(0, eq), entry.slice(eq + 1)]
}

function parseMeta(entries: string[]): Record<string, unknown> {
  const meta: Record<string, unknown> = {}
  for (const entry of entries) {
    const [key, raw] = splitPair(entry, '--meta')
    try {
      checkJsonDepth(raw, `--meta ${key}`)
      meta[key] = JSON.parse(raw)
    } catch (err) {
      if (isQuiverError(err)) throw err
      meta[key] = raw
    }
  }
  return meta
}

function parseFiles(entries: string[]): Record<string, { path: string }> {
  return Object.fromEntries(entries.map((e) => {
    const [name, path] = splitPair(e, '--file')
    return [name, { path }]
  }))
}
