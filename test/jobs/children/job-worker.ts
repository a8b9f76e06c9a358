/** A worker process for the jobs tests: takes 'slow' jobs, prints `running <id>`, then works until killed. */
import { JobWorker } from '../../../src/jobs/job-worker.js'
import { SqlJobQueue } from '../../../src/jobs/sql-job-queue.js'
import { PostgresDriver } from '../../../src/store/postgres/postgres-driver.js'

const [url, schema] = process.argv.slice(2) as [string, string]
const driver = await PostgresDriver.open({ url, searchPath: schema })
const worker = new JobWorker({
  queue: new SqlJobQueue(driver),
  id: `child-${process.pid}`,
  leaseMs: 600,
  pollMs: 50,
  handlers: {
    slow: async (job, ctx) => {
      ctx.progress(0.25, 'a quarter done')
      process.stdout.write(`running ${job.id}\n`)
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))))
    },
  },
})
worker.start()
