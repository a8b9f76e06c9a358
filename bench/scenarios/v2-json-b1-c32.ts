import type { Scenario } from '../scenario.js'
import { irisFeatures } from '../iris.js'
import { acquireServer, HTTP_MODEL, httpBudget, post, releaseServer } from './http-server-process.js'

const CONCURRENCY = 32

/** 32 concurrent Open Inference Protocol JSON requests of one row each. */
function v2JsonScenario(): Scenario {
  let url = ''
  const features = irisFeatures(CONCURRENCY)
  const bodies = Array.from({ length: CONCURRENCY }, (_, i) => JSON.stringify({
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: Array.from(features.subarray(i * 4, i * 4 + 4)) }],
  }))
  return {
    name: `v2-json-b1-c${CONCURRENCY}`,
    rawBaseline: `bare-http-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: bodies[0]!, headers: { 'content-type': 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      url = `${(await acquireServer()).url}/v2/models/${HTTP_MODEL}/infer`
      const res = JSON.parse(Buffer.from(await post(url, bodies[0]!, { 'content-type': 'application/json' })).toString())
      if (res.outputs?.[0]?.shape?.join() !== '1,3') throw new Error(`unexpected answer ${JSON.stringify(res).slice(0, 200)}`)
    },
    async run() {
      await Promise.all(bodies.map((b) => post(url, b, { 'content-type': 'application/json' })))
      return CONCURRENCY
    },
    teardown: releaseServer,
  }
}

export const scenarios: Scenario[] = [v2JsonScenario()]
