import { Command } from 'commander'
import type { CaseDefinition, CaseMetrics, ComparisonResult, EvaluationResult } from '../../api/evaluation-api.js'
import { InvalidInput } from '../../errors.js'
import { withApi } from '../context.js'
import { printJson, printQueued, printTable, progress } from '../output.js'

const collect = (v: string, all: string[]) => [...all, v]

function parseCase(arg: string): CaseDefinition {
  const eq = arg.indexOf('=')
  if (eq <= 0) throw new InvalidInput(`--case expects NAME="EXPR", got ${JSON.stringify(arg)}`, { field: 'case', got: arg })
  return { name: arg.slice(0, eq), expression: arg.slice(eq + 1) }
}

export function suiteCommand(): Command {
  const suite = new Command('suite').description('test suites: samples with ground truth and named cases')
  suite.command('create')
    .description('create a test suite (a new version when its contents change)')
    .argument('<name>')
    .requiredOption('--file <file>', 'samples with ground truth (.csv, .json, .jsonl, .parquet, .arrow)')
    .requiredOption('--label <col>', 'the ground-truth column')
    .option('--features <cols>', 'columns packed in order into the model\'s single list input')
    .option('--case <name=expr>', 'a named slice, e.g. old="in.age >= 60" (repeatable)', collect, [])
    .action(async (name: string, o: { file: string; label: string; features?: string; case: string[] }, cmd: Command) => {
      const cases = o.case.map(parseCase)
      const features = o.features ? o.features.split(',').map((f) => f.trim()).filter(Boolean) : undefined
      const s = await withApi(cmd, (api, g) => api.evaluation.createSuite({ name, source: { path: o.file }, label: o.label, features, cases }, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(s)
      process.stdout.write(`${s.ref}${s.created ? '' : ' (unchanged)'}: ${s.rows} rows, label ${s.label}, ${s.cases.length} case(s)\n`)
    })
  suite.command('list')
    .description('list the test suites of the workspace (newest versions)')
    .action(async (_o, cmd: Command) => {
      const all = await withApi(cmd, (api, g) => api.evaluation.listSuites({ workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(all)
      printTable(['SUITE', 'ROWS', 'LABEL', 'CASES'], all.map((s) => [s.ref, String(s.rows), s.label, s.cases.map((c) => c.name).join(',') || '-']))
    })
  suite.command('show')
    .description('show a test suite (NAME or NAME#VERSION)')
    .argument('<ref>')
    .action(async (ref: string, _o, cmd: Command) => {
      const s = await withApi(cmd, (api, g) => api.evaluation.showSuite(ref, { workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(s)
      process.stdout.write(`${s.ref}: ${s.rows} rows from ${s.file_name}, label ${s.label}${s.features ? `, features ${s.features.join(',')}` : ''}\n`)
      for (const c of s.cases) process.stdout.write(`  case ${c.name}: ${c.expression}\n`)
    })
  return suite
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('run a model version over a test suite; metrics per case')
    .argument('<ref>')
    .requiredOption('--suite <name>', 'the test suite (NAME or NAME#VERSION)')
    .option('--no-wait', 'queue it as a job and return at once (follow with quiver jobs wait ID)')
    .action(async (ref: string, o: { suite: string; wait: boolean }, cmd: Command) => {
      const json = cmd.optsWithGlobals().json
      if (!o.wait) return printQueued(await withApi(cmd, (api, g) => api.jobs.evaluate(ref, { suite: o.suite, workspace: g.workspace })), json)
      const r = await withApi(cmd, (api, g) => api.evaluation.evaluate(ref, { suite: o.suite, workspace: g.workspace, onProgress: json ? undefined : progress }))
      if (json) return printJson(r)
      printEvaluation(r)
    })
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('two model versions side by side on a test suite, with deltas and regressions')
    .argument('<a>', 'the baseline')
    .argument('<b>', 'the candidate')
    .requiredOption('--suite <name>', 'the test suite (NAME or NAME#VERSION)')
    .option('--threshold <x>', 'a metric worse by more than this is a regression (default 0)', (v) => Number(v))
    .option('--promote <tag>', 'move TAG to the better version when no case regresses')
    .action(async (a: string, b: string, o: { suite: string; threshold?: number; promote?: string }, cmd: Command) => {
      if (o.threshold !== undefined && !(o.threshold >= 0)) throw new InvalidInput('--threshold must be a number >= 0', { field: 'threshold' })
      const r = await withApi(cmd, (api, g) => api.evaluation.compare(a, b, { suite: o.suite, threshold: o.threshold, promote: o.promote, workspace: g.workspace }))
      if (cmd.optsWithGlobals().json) return printJson(r)
      printComparison(r)
    })
}

const num = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : '-')

function printEvaluation(r: EvaluationResult): void {
  process.stdout.write(`${r.model} on ${r.suite}: ${r.task}, ${r.rows} rows, ${r.deterministic ? 'deterministic' : 'NOT deterministic'}, ` +
    `${r.latency.rows_per_second.toFixed(0)} rows/s (p50 ${r.latency.p50_ms.toFixed(1)} ms per ${r.latency.batch_rows}-row batch)\n`)
  const cols = r.task === 'regression' ? ['mae', 'rmse', 'r2'] : ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'roc_auc']
  printTable(['CASE', 'ROWS', ...cols.map((c) => c.toUpperCase())], Object.entries(r.cases).map(([name, m]) => [
    name, String(m.rows), ...cols.map((c) => num((m as unknown as Record<string, unknown>)[c])),
  ]))
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
}

function printComparison(r: ComparisonResult): void {
  process.stdout.write(`A ${r.a}\nB ${r.b}\nsuite ${r.suite} (${r.task}), threshold ${r.threshold}\n`)
  printTable(['CASE', 'METRIC', 'A', 'B', 'DELTA', ''], r.rows.map((x) => [
    x.case, x.metric, num(x.a), num(x.b), x.delta === null ? '-' : `${x.delta >= 0 ? '+' : ''}${x.delta.toFixed(4)}`, x.regression ? 'REGRESSION' : '',
  ]))
  process.stdout.write(`better: ${r.better === 'tie' ? 'neither' : r.better.toUpperCase()}; ${r.regressions.length ? `B regresses on ${r.regressions.join(', ')}` : 'B regresses on no case'}\n`)
  if (r.promotion) process.stdout.write(`${r.promotion.promoted ? 'promoted' : 'not promoted'}: ${r.promotion.tag} → ${r.promotion.version}: ${r.promotion.reason}\n`)
}

export type { CaseMetrics }
