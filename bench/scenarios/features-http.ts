/**
 * Online fetch over HTTP at a fixed 500 requests/s (open loop, latency from each request's due
 * time; see open-loop.ts): `quiver serve` answering `POST /v1/features/users/fetch` (base features
 * from Redis, one small ONNX derived feature) beside two floors driven by the same generator in
 * the same run, alternated: a bare ioredis GET from this process, and a bare `node:http` server
 * that parses the same body, GETs one Redis key and answers JSON. Each server's CPU time per
 * request is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { createRequire } from 'node:module'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { percentile } from '../measure.js'
import { openLoop, processCpuUs } from '../open-loop.js'
import type { Scenario } from '../scenario.js'
import { dropKeys, ENTITIES, featureHome, nextKey, PREFIX, REDIS_URL } from './features-online.js'
import { stopChild } from './http-server-process.js'

const BIN = fileURLToPath(new URL('../../bin/quiver', import.meta.url))
const RATE = 500
const RAW_KEYS = 1000

/** node:http + ioredis: parse `{"keys":{"user_id":N}}`, GET one key, answer JSON. */
const BARE_FETCH_SERVER = `
const http = require('node:http')
const { Redis } = require(${JSON.stringify(createRequire(import.meta.url).resolve('ioredis'))})
const redis = new Redis(process.env.REDIS_URL)
const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', async () => {
    const { keys } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const value = await redis.getBuffer(process.env.PREFIX + ':raw:' + (keys.user_id % ${RAW_KEYS}))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys, features: { bytes: value.length }, models: {}, missing: [] }))
  })
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => server.close(() => { redis.disconnect(); process.exit(0) }))
`

/** Starts a server process and reads the URL it prints. */
async function started(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  const base = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/\S+)\n/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ').slice(0, 60)} exited with ${code}: ${err}`)))
  })
  return { child, base }
}

/** A POST of `payload` as JSON, resolved once the answer is read; anything but 200 rejects. */
function post(url: string, agent: Agent, payload: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.on('data', () => {})
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

interface Run { latencies: number[]; lag: number[]; cpuUs: number }

const empty = (): Run => ({ latencies: [], lag: [], cpuUs: 0 })

/** One fixed-rate run of `send`, its latencies added to `into`, with the CPU time `pid` spent meanwhile. */
async function runInto(into: Run, send: () => Promise<void>, seconds: number, pid?: number): Promise<void> {
  const cpu0 = pid === undefined ? 0 : await processCpuUs(pid)
  const r = await openLoop(send, RATE, seconds)
  if (pid !== undefined) into.cpuUs += (await processCpuUs(pid)) - cpu0
  into.latencies.push(...r.latencies)
  into.lag.push(...r.sendLag)
}

function fetchHttp500(): Scenario {
  let world: Awaited<ReturnType<typeof featureHome>> | undefined
  let quiver: { child: ChildProcess; base: string } | undefined
  let bare: { child: ChildProcess; base: string } | undefined
  let redis: Redis | undefined
  const lines: string[] = []
  return {
    name: 'feature-fetch-http-500rps',
    async setup() {
      world = await featureHome(ENTITIES)
      await world.api.close()
      const prof = process.env.QUIVER_BENCH_SERVER_PROFILE
      quiver = await started([...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), BIN, '--home', world.home, 'serve', '--port', '0', '--log-level', 'off'], {
        QUIVER_DATABASE_URL: '', QUIVER_REDIS_URL: REDIS_URL, QUIVER_REDIS_PREFIX: PREFIX,
      })
      redis = new Redis(REDIS_URL)
      await redis.mset(Array.from({ length: RAW_KEYS }, (_, i) => [`${PREFIX}:raw:${i}`, Buffer.alloc(24, 1)]).flat())
      bare = await started(['-e', BARE_FETCH_SERVER], { REDIS_URL, PREFIX })
    },
    async measureSelf(quick) {
      const fetchUrl = `${quiver!.base}/v1/features/users/fetch`
      const bareUrl = `${bare!.base}/fetch`
      const body = () => `{"keys":{"user_id":${nextKey()}}}`
      const agent = new Agent({ keepAlive: true, maxSockets: 64 })
      // Server code is optimised after a few thousand requests: sent one at a time first, so that
      // the fixed-rate runs measure serving, not warm-up backlog.
      for (let i = 0; i < (quick ? 2000 : 5000); i++) await post(fetchUrl, agent, body())
      for (let i = 0; i < 1000; i++) await post(bareUrl, agent, body())
      const rawGet = async () => void (await redis!.getBuffer(`${PREFIX}:raw:${nextKey() % RAW_KEYS}`))
      await openLoop(() => post(fetchUrl, agent, body()), RATE, 1)
      const runs = { fetch: empty(), bare: empty(), raw: empty() }
      const seconds = quick ? 2 : 5
      for (let round = 0; round < 2; round++) {
        await runInto(runs.raw, rawGet, seconds)
        await runInto(runs.bare, () => post(bareUrl, agent, body()), seconds, bare!.child.pid)
        await runInto(runs.fetch, () => post(fetchUrl, agent, body()), seconds, quiver!.child.pid)
      }
      agent.destroy()
      for (const r of Object.values(runs)) for (const a of [r.latencies, r.lag]) a.sort((x, y) => x - y)
      const ms = (us: number) => (us / 1000).toFixed(2)
      const p = (r: Run, q: number) => percentile(r.latencies, q)
      const over2ms = (r: Run) => `${((100 * r.latencies.filter((x) => x > 2000).length) / r.latencies.length).toFixed(1)}%`
      const cpu = (r: Run) => Math.round(r.cpuUs / r.latencies.length)
      lines.length = 0
      lines.push(
        `at ${RATE} req/s, open loop, ms p50/p99: quiver fetch ${ms(p(runs.fetch, 0.5))}/${ms(p(runs.fetch, 0.99))} (target p99 ≤ 2); ` +
        `bare node:http+GET ${ms(p(runs.bare, 0.5))}/${ms(p(runs.bare, 0.99))}; raw ioredis GET ${ms(p(runs.raw, 0.5))}/${ms(p(runs.raw, 0.99))}; ` +
        `p99 ratio to bare server ${(p(runs.fetch, 0.99) / p(runs.bare, 0.99)).toFixed(2)}×, to raw GET ${(p(runs.fetch, 0.99) / p(runs.raw, 0.99)).toFixed(2)}×`,
        `p90 ms: quiver ${ms(p(runs.fetch, 0.9))}, bare ${ms(p(runs.bare, 0.9))}, raw GET ${ms(p(runs.raw, 0.9))}; answered after 2 ms: quiver ${over2ms(runs.fetch)}, bare ${over2ms(runs.bare)}, raw GET ${over2ms(runs.raw)}`,
        `server CPU per request: quiver ${cpu(runs.fetch)} µs, bare node:http+GET ${cpu(runs.bare)} µs (${(cpu(runs.fetch) / cpu(runs.bare)).toFixed(2)}×); ` +
        `generator send lag p99 ${ms(percentile(runs.fetch.lag, 0.99))} ms; ${runs.fetch.latencies.length} fetches`,
      )
      return { name: 'feature-fetch-http-500rps', iterations: runs.fetch.latencies.length, rows: runs.fetch.latencies.length, rows_per_s: RATE, p50_us: p(runs.fetch, 0.5), p99_us: p(runs.fetch, 0.99) }
    },
    async run() {
      return 1
    },
    notes: () => lines,
    async teardown() {
      await stopChild(bare?.child)
      await stopChild(quiver?.child)
      redis?.disconnect()
      if (world) await rm(world.dir, { recursive: true, force: true })
      await dropKeys()
    },
  }
}

export const scenarios: Scenario[] = [fetchHttp500()]
