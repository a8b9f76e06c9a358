import { writeFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import type { Table } from 'apache-arrow'
import { Command, Option } from 'commander'
import type { InferInput } from '../../data/infer-input.js'
import { INPUT_FORMATS, readInputBytes, readInputFile, type InputFormat } from '../../data/input-file.js'
import { writeTable, type OutputFormat } from '../../data/table-output.js'
import type { VersionRecord } from '../../records/version-record.js'
import { globalOptions, jobsStartedHere, withApi } from '../context.js'
import { resultAsText } from '../result-text.js'

/** SPEC's formats, plus `table`: aligned text for people. */
export const OUTPUT_FORMATS = ['records', 'columns', 'arrow', 'parquet', 'csv', 'table'] as const
export type CliOutputFormat = (typeof OUTPUT_FORMATS)[number]

const FORMAT_BY_EXTENSION: Record<string, OutputFormat> = {
  '.json': 'records', '.arrow': 'arrow', '.arrows': 'arrow', '.ipc': 'arrow', '.parquet': 'parquet', '.csv': 'csv',
}

export function inferCommand(): Command {
  return new Command('infer')
    .description('run a model version on an input table (JSON, Arrow IPC, Parquet or CSV)')
    .argument('<ref>', 'model reference')
    .requiredOption('--input <file>', "input table; '-' reads standard input")
    .addOption(new Option('--input-format <format>', "format of standard input (default: told from its bytes)").choices([...INPUT_FORMATS]))
    .option('--output <file>', "write the result here instead of stdout ('-' is stdout)")
    .addOption(new Option('--output-format <format>', 'result format (default: by --output extension, else records)').choices([...OUTPUT_FORMATS]))
    .action(async (ref: string, o, cmd: Command) => {
      const input = o.input === '-' ? readInputBytes(await readStdin(), o.inputFormat as InputFormat | undefined) : await readInputFile(o.input)
      if (o.output === '-') o.output = undefined
      await writeResult(await inferRef(cmd, ref, input), o)
    })
}

/**
 * On an embedded home, a reference resolved by an earlier command while nothing changed since is
 * run from its snapshot without opening the database; otherwise it is resolved (and, when this
 * process changed nothing else, its snapshot kept for the next run).
 */
async function inferRef(cmd: Command, ref: string, input: InferInput): Promise<Table> {
  const g = globalOptions(cmd)
  if (g.server || process.env.QUIVER_DATABASE_URL) return withApi(cmd, (api) => api.infer(ref, input, { workspace: g.workspace }))
  const [{ defaultHome }, { inferFromSnapshot }] = await Promise.all([import('../../api/default-home.js'), import('../../api/snapshot-inference.js')])
  const home = resolve(g.home ?? defaultHome())
  const fast = await inferFromSnapshot(home, g.workspace, ref, input)
  if (fast) return fast
  const jobs = jobsStartedHere()
  let version: VersionRecord | undefined
  const result = await withApi(cmd, async (api) => {
    version = await api.readyVersion(ref, { workspace: g.workspace })
    return api.inferVersion(version, input)
  })
  if (version && jobsStartedHere() === jobs) {
    const { saveResolvedVersion } = await import('../../api/resolved-snapshot.js')
    await saveResolvedVersion(home, g.workspace, ref, version).catch(() => {})
  }
  return result
}

/** Writes a result table to `--output` or stdout in `--output-format` (by the file's extension, else records). */
export async function writeResult(result: Table, o: { output?: string; outputFormat?: CliOutputFormat }): Promise<void> {
  const format: CliOutputFormat = o.outputFormat ?? (o.output ? FORMAT_BY_EXTENSION[extname(o.output).toLowerCase()] : undefined) ?? 'records'
  let bytes: Uint8Array
  if (format === 'table') bytes = Buffer.from(resultAsText(result))
  else {
    bytes = await writeTable(result, format)
    // JSON on a terminal or pipe ends with a newline, as text output should.
    if (!o.output && (format === 'records' || format === 'columns')) bytes = Buffer.concat([bytes, Buffer.from('\n')])
  }
  if (o.output) await writeFile(o.output, bytes)
  else await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())))
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
