/**
 * One offline task in a fresh process, printing its peak RSS (MiB) as JSON:
 * `node --import tsx bench/offline/peak-rss.ts TASK ARGS...`.
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import * as tasks from './tasks.js'

const [task, ...args] = process.argv.slice(2)
let rows = 0
switch (task) {
  case 'parquet-read': rows = (await tasks.parquetBodyToArrow(new Uint8Array(await readFile(args[0]!)))).numRows; break
  case 'node-baseline': await tasks.duck('SELECT 1'); break
  case 'duckdb-read': rows = await tasks.duckdbReadAlone(`SELECT * FROM read_parquet('${args[0]}')`); break
  case 'asof': await tasks.asofAlone(args[0]!, args[1]!, args[2]!); break
  case 'enrich': case 'training-set': {
    const { createLocalQuiver } = await import('../../src/api/create-local.js')
    const api = await createLocalQuiver({ home: args[0]!, databaseUrl: '' })
    try {
      const r = task === 'enrich'
        ? await api.features.enrich({ input: args[1]!, output: args[2]!, model: 'score', inputs: ['a', 'b', 'c'], as: 's' })
        : await api.features.trainingSet({ spine: args[1]!, features: ['users.f1', 'users.f2'], output: args[2]! })
      rows = r.rows
    } finally {
      await api.close()
    }
    break
  }
  default: throw new Error(`unknown task ${task}`)
}
/**
 * Peak RSS of this process's own memory: VmHWM, not getrusage's maxRSS, which Linux carries over
 * exec from the parent at fork time (a child of a large bench process would report at least its size).
 */
function peakKib(): number {
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS
}
process.stdout.write(`${JSON.stringify({ task, rows, peak_rss_mib: Math.round(peakKib() / 1024) })}\n`)
process.exit(0)
