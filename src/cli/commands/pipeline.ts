import { Command, Option } from 'commander'
import type { PipelineRecord, PipelineStep } from '../../api/pipeline-api.js'
import { readInputFile } from '../../data/input-file.js'
import { InvalidInput } from '../../errors.js'
import { withApi } from '../context.js'
import { printJson, printTable, shortTime } from '../output.js'
import { OUTPUT_FORMATS, writeResult } from './infer.js'

const collect = (value: string, previous: string[] = []) => [...previous, value]
const whole = (what: string) => (v: string) => {
  if (!/^[0-9]+$/.test(v)) throw new InvalidInput(`${what} must be a whole number, got ${JSON.stringify(v)}`, { field: what, got: v })
  return Number(v)
}

/** `quiver pipeline …` (SPEC §8). */
export function pipelineCommand(): Command {
  const pipeline = new Command('pipeline').description('pipelines of model steps, their deployments, validations and logs')

  // `--map` belongs to the `--step` before it: commander parses options in the order given.
  let steps: PipelineStep[] = []
  pipeline.command('create')
    .description('create a pipeline, or a new version of it, from model steps; each step takes the previous step\'s outputs')
    .argument('<name>')
    .option('--step <ref>', 'a model reference (a tag reference follows the tag); repeat for each step', (ref: string) => {
      steps.push({ ref })
      return ref
    })
    .option('--map <out=in>', 'feed the previous step\'s output OUT to this step\'s input IN (repeatable, after its --step)', (pair: string) => {
      const m = /^([^=]+)=([^=]+)$/.exec(pair)
      if (!m) throw new InvalidInput(`--map needs OUT=IN, got ${JSON.stringify(pair)}`, { field: 'map', got: pair })
      const last = steps[steps.length - 1]
      if (!last) throw new InvalidInput('--map must follow the --step it belongs to', { field: 'map' })
      last.map = { ...last.map, [m[1]!]: m[2]! }
      return pair
    })
    .action(async (name: string, _o, cmd: Command) => {
      const given = steps
      steps = []
      if (given.length === 0) throw new InvalidInput('a pipeline needs at least one --step REF', { field: 'step' })
      const p = await withApi(cmd, (api, g) => api.pipelines.create(name, given, { workspace: g.workspace }))
      print(cmd, p)
    })

  pipeline.command('list')
    .description('list the pipelines of the workspace')
    .action(async (_o, cmd: Command) => {
      const all = await withApi(cmd, (api, g) => api.pipelines.list({ workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(all)
      printTable(['NAME', 'VERSION', 'STEPS', 'DEPLOYED', 'CREATED'], all.map((p) => [
        p.name, `v${p.version}`, p.steps.map((s) => s.ref).join(' → '), p.deployment ? `yes (${p.deployment.replicas}×)` : 'no', shortTime(p.created_at),
      ]))
    })

  pipeline.command('show')
    .description('show a pipeline: steps, maps, validations, deployment')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      print(cmd, await withApi(cmd, (api, g) => api.pipelines.show(name, { workspace: g.workspace })))
    })

  pipeline.command('deploy')
    .description('load every step and serve the pipeline; refused when the memory estimate exceeds --memory')
    .argument('<name>')
    .option('--replicas <n>', 'sessions (or Python workers) per step', whole('replicas'))
    .option('--cpus <x>', 'onnxruntime intra-op threads', (v) => Number(v))
    .option('--memory <size>', 'memory the deployment may use, e.g. 1Gi (default: the machine\'s)')
    .option('--batch-max-rows <n>', 'rows per batched run of a step (1: no batching)', whole('batch-max-rows'))
    .option('--batch-delay-ms <ms>', 'wait this long to fill a batch (0: batch only what queues while a step is busy)', whole('batch-delay-ms'))
    .action(async (name: string, o, cmd: Command) => {
      const p = await withApi(cmd, (api, g) => api.pipelines.deploy(name, {
        replicas: o.replicas, cpus: o.cpus, memory: o.memory, batchMaxRows: o.batchMaxRows, batchDelayMs: o.batchDelayMs,
      }, { workspace: g.workspace }))
      print(cmd, p)
    })

  pipeline.command('undeploy')
    .description('stop serving the pipeline; its inferences are refused until it is deployed again')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      print(cmd, await withApi(cmd, (api, g) => api.pipelines.undeploy(name, { workspace: g.workspace })))
    })

  pipeline.command('infer')
    .description('run a deployed pipeline on an input table')
    .argument('<name>')
    .requiredOption('--input <file>', 'input table (JSON, Arrow IPC, Parquet or CSV)')
    .option('--output <file>', 'write the result here instead of stdout')
    .addOption(new Option('--output-format <format>', 'result format').choices([...OUTPUT_FORMATS]))
    .action(async (name: string, o, cmd: Command) => {
      const input = await readInputFile(o.input)
      await writeResult(await withApi(cmd, (api, g) => api.pipelines.infer(name, input, { workspace: g.workspace })), o)
    })

  pipeline.command('swap-step')
    .description('point step STEP_INDEX (0-based) at another model version; a deployment switches with no dropped request')
    .argument('<name>')
    .argument('<step_index>', 'step index, 0-based', whole('step_index'))
    .argument('<ref>')
    .action(async (name: string, index: number, ref: string, _o, cmd: Command) => {
      print(cmd, await withApi(cmd, (api, g) => api.pipelines.swapStep(name, index, ref, { workspace: g.workspace })))
    })

  pipeline.command('validate')
    .description('add or remove named validations, e.g. --add high="out.score > 0.9"')
    .argument('<name>')
    .option('--add <name=expr>', 'a validation (repeatable)', collect)
    .option('--remove <name>', 'remove a validation (repeatable)', collect)
    .action(async (name: string, o, cmd: Command) => {
      const add = ((o.add ?? []) as string[]).map((pair) => {
        const eq = pair.indexOf('=')
        if (eq <= 0) throw new InvalidInput(`--add needs NAME="EXPRESSION", got ${JSON.stringify(pair)}`, { field: 'add', got: pair })
        return { name: pair.slice(0, eq), expression: pair.slice(eq + 1) }
      })
      if (add.length === 0 && !o.remove) throw new InvalidInput('give --add NAME="EXPR" or --remove NAME', { field: 'add' })
      print(cmd, await withApi(cmd, (api, g) => api.pipelines.validate(name, { add, remove: o.remove }, { workspace: g.workspace })))
    })

  pipeline.command('logs')
    .description('the pipeline\'s inference log: rows in [--since, --until], the newest --limit of them')
    .argument('<name>')
    .option('--since <time>', 'ISO-8601 time')
    .option('--until <time>', 'ISO-8601 time')
    .option('--limit <n>', 'rows (default 100)', whole('limit'))
    .option('--output <file>', 'write the rows here instead of stdout')
    .addOption(new Option('--output-format <format>', 'format').choices([...OUTPUT_FORMATS]))
    .action(async (name: string, o, cmd: Command) => {
      const time = (raw: string | undefined, field: string) => {
        if (raw === undefined) return undefined
        const t = new Date(raw)
        if (Number.isNaN(t.getTime())) throw new InvalidInput(`--${field} must be an ISO-8601 time, got ${JSON.stringify(raw)}`, { field, got: raw })
        return t
      }
      const logs = await withApi(cmd, (api, g) => api.pipelines.logs(name, {
        workspace: g.workspace, since: time(o.since, 'since'), until: time(o.until, 'until'), limit: o.limit,
      }))
      await writeResult(logs, o)
    })

  for (const sub of pipeline.commands) sub.exitOverride().configureOutput({ outputError: () => {} })
  return pipeline
}

function print(cmd: Command, p: PipelineRecord): void {
  if (cmd.optsWithGlobals().json) return printJson(p)
  const lines = [`${p.name} v${p.version} (${p.workspace})`]
  p.steps.forEach((s, i) => lines.push(`  step ${i}: ${s.ref}${s.map ? ` map ${Object.entries(s.map).map(([a, b]) => `${a}=${b}`).join(',')}` : ''}`))
  for (const v of p.validations) lines.push(`  validation ${v.name}: ${v.expression}`)
  lines.push(p.deployment
    ? `  deployed: ${p.deployment.replicas} replica(s), ${p.deployment.cpus} cpu(s), batch ${p.deployment.batch_max_rows} rows / ${p.deployment.batch_delay_ms} ms, estimate ${Math.ceil(p.deployment.estimate_bytes / 2 ** 20)} MiB`
    : '  not deployed')
  process.stdout.write(`${lines.join('\n')}\n`)
}
