import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { Table } from 'apache-arrow'
import { Command, Option } from 'commander'
import { INPUT_FORMATS, readInputBytes, readInputFile, type InputFormat } from '../../data/input-file.js'
import { writeTable, type OutputFormat } from '../../data/table-output.js'
import { withApi } from '../context.js'
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
      const result = await withApi(cmd, (api, g) => api.infer(ref, input, { workspace: g.workspace }))
      await writeResult(result, o)
    })
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
