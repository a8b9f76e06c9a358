import type { Scenario } from '../scenario.js'
import { irisFeatures } from '../iris.js'
import { acquireServer, HTTP_MODEL, httpBudget, post, releaseServer } from './http-server-process.js'

const CONCURRENCY = 32

/** 32 concurrent REST requests of one JSON record each, answered as JSON records. */
function httpJsonScenario(): Scenario {
  let url = ''
  const features = irisFeatures(CONCURRENCY)
  const bodies = Array.from({ length: CONCURRENCY }, (_, i) => JSON.stringify([{ features: Array.from(features.subarray(i * 4, i * 4 + 4)) }]))
  return {
    name: `http-json-b1-c${CONCURRENCY}`,
    rawBaseline: `bare-http-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: bodies[0]!, headers: { 'content-type': 'application/json', accept: 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      url = `${(await acquireServer()).url}/v1/models/${HTTP_MODEL}/infer`
      const rows = JSON.parse(Buffer.from(await post(url, bodies[0]!, { 'content-type': 'application/json' })).toString())
      if (!Array.isArray(rows) || rows.length !== 1 || !('out.species_probs' in rows[0])) throw new Error(`unexpected answer ${JSON.stringify(rows).slice(0, 200)}`)
    },
    async run() {
      await Promise.all(bodies.map((b) => post(url, b, { 'content-type': 'application/json', accept: 'application/json' })))
      return CONCURRENCY
    },
    teardown: releaseServer,
  }
}

export const scenarios: Scenario[] = [httpJsonScenario()]
