import { spawn, type ChildProcess } from 'node:child_process'
import type { Scenario } from '../scenario.js'
import { irisFeatures } from '../iris.js'
import { httpBudget, post, stopChild } from './http-server-process.js'

const CONCURRENCY = 32

/** A bare `node:http` server that reads and parses the JSON body and answers a small JSON: the floor for every HTTP figure. */
const BARE_SERVER = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const rows = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify([{ 'out.n': rows.length }]))
  })
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

/** 32 concurrent one-record JSON requests against the bare server, by the same load generator as the Quiver scenarios. */
function bareHttpScenario(): Scenario {
  let child: ChildProcess | undefined
  let url = ''
  const features = irisFeatures(CONCURRENCY)
  const bodies = Array.from({ length: CONCURRENCY }, (_, i) => JSON.stringify([{ features: Array.from(features.subarray(i * 4, i * 4 + 4)) }]))
  return {
    name: `bare-http-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: bodies[0]!, headers: { 'content-type': 'application/json', accept: 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      child = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
      url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child!.stdout!.on('data', (d: Buffer) => {
          out += d
          const m = /listening on (\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        child!.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
      })
    },
    async run() {
      await Promise.all(bodies.map((b) => post(url, b, { 'content-type': 'application/json', accept: 'application/json' })))
      return CONCURRENCY
    },
    teardown: () => stopChild(child),
  }
}

export const scenarios: Scenario[] = [bareHttpScenario()]
