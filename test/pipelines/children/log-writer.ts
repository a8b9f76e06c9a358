// Appends results to an inference log as fast as it can until killed; prints "flushed" after the first write.
import { InferenceLog } from '../../../src/pipelines/logs/inference-log.js'
import { logSettings } from '../../../src/pipelines/logs/log-settings.js'
import { sampleResult } from '../log-helpers.js'

const log = await InferenceLog.open(process.argv[2]!, logSettings({ flushRows: 4000, flushIntervalMs: 5 }))
const start = Date.now()
let n = 0
for (;;) {
  log.append(sampleResult(1000, new Date(start + n), n), { pipelineVersion: 'v1', steps: ['m#1'], latencyMs: 1 })
  n++
  if (n % 4 === 0) {
    await log.flush()
    if (n === 4) process.stdout.write('flushed\n')
  }
  await new Promise((r) => setImmediate(r))
}
