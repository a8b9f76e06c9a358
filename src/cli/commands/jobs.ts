import { Command, Option } from 'commander'
import { JOB_STATES, type JobRecord } from '../../api/jobs-api.js'
import { InvalidInput } from '../../errors.js'
import { withApi } from '../context.js'
import { printJson, printTable, shortTime } from '../output.js'

function jobId(raw: string): number {
  const id = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidInput(`job id must be a positive whole number, got '${raw}'`, { field: 'id', expected: 'integer >= 1', got: raw })
  return id
}

/** What the job is about, from its payload: a model version, a feature set, a suite. */
function subject(job: JobRecord): string {
  const p = job.payload
  const parts = [p.model, p.set, p.suite].filter((x): x is string => typeof x === 'string')
  return parts.join(' ') || '-'
}

function printJob(job: JobRecord): void {
  const lines = [
    `job ${job.id} (${job.kind}) in workspace '${job.workspace}': ${job.state}`,
    `subject:   ${subject(job)}`,
    `progress:  ${Math.round(job.progress * 100)}%${job.message ? ` ${job.message}` : ''}`,
    `attempts:  ${job.attempts} of ${job.max_attempts}`,
    ...(job.worker ? [`worker:    ${job.worker}`] : []),
    ...(job.error ? [`error:     ${job.error}`] : []),
    ...(job.result !== null && job.result !== undefined ? [`result:    ${JSON.stringify(job.result)}`] : []),
    `created:   ${shortTime(job.created_at)}   updated: ${shortTime(job.updated_at)}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** `quiver jobs list|show|cancel|wait`: the workspace's long work. */
export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('long work run as jobs (conversion, materialization, training, evaluation)')
  jobs.addCommand(
    new Command('list')
      .description('the workspace\'s jobs, newest first')
      .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
      .option('--kind <kind>', 'only jobs of this kind (convert, materialize, train, evaluate)')
      .option('--limit <n>', 'at most this many (default 100)')
      .action(async (o, cmd: Command) => {
        const limit = o.limit === undefined ? undefined : Number(o.limit)
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InvalidInput(`--limit must be a positive whole number, got '${o.limit}'`, { field: 'limit', got: o.limit })
        const list = await withApi(cmd, (api, g) => api.jobs.list({ workspace: g.workspace, state: o.state, kind: o.kind, limit }))
        if (cmd.optsWithGlobals().json) return printJson(list)
        printTable(['ID', 'KIND', 'STATE', 'PROGRESS', 'ATTEMPTS', 'SUBJECT', 'UPDATED', 'ERROR'], list.map((j) => [
          String(j.id), j.kind, j.state, `${Math.round(j.progress * 100)}%`, `${j.attempts}/${j.max_attempts}`, subject(j), shortTime(j.updated_at), j.error ?? '-',
        ]))
      }),
  )
  jobs.addCommand(
    new Command('show')
      .description('one job: state, progress, attempts, error, result')
      .argument('<id>')
      .action(async (id: string, _o, cmd: Command) => {
        const job = await withApi(cmd, (api, g) => api.jobs.get(jobId(id), { workspace: g.workspace }))
        if (cmd.optsWithGlobals().json) return printJson(job)
        printJob(job)
      }),
  )
  jobs.addCommand(
    new Command('cancel')
      .description('cancel a queued job at once, or a running one at its next heartbeat')
      .argument('<id>')
      .action(async (id: string, _o, cmd: Command) => {
        const job = await withApi(cmd, (api, g) => api.jobs.cancel(jobId(id), { workspace: g.workspace }))
        if (cmd.optsWithGlobals().json) return printJson(job)
        process.stdout.write(job.state === 'cancelled' ? `job ${job.id} cancelled\n` : `job ${job.id} is ${job.state}; it stops at its next heartbeat\n`)
      }),
  )
  jobs.addCommand(
    new Command('wait')
      .description('wait until a job has finished; exit 1 unless it succeeded')
      .argument('<id>')
      .option('--timeout <seconds>', 'give up after this long (default 3600)')
      .action(async (id: string, o, cmd: Command) => {
        const timeoutMs = o.timeout === undefined ? undefined : Number(o.timeout) * 1000
        if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new InvalidInput(`--timeout must be a positive number of seconds, got '${o.timeout}'`, { field: 'timeout', got: o.timeout })
        const job = await withApi(cmd, (api, g) => api.jobs.wait(jobId(id), { workspace: g.workspace, timeoutMs }))
        if (cmd.optsWithGlobals().json) printJson(job)
        else printJob(job)
        if (job.state !== 'succeeded') process.exitCode = 1
      }),
  )
  return jobs
}
