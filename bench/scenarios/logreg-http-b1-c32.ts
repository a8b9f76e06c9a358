/**
 * The same scikit-learn logistic regression served two ways, 32 concurrent one-row JSON requests
 * each, by the same load generator: Quiver's REST and V2 (the model converted to native code), and
 * FastAPI + uvicorn calling scikit-learn's predict/predict_proba (Debian's python3-fastapi,
 * python3-uvicorn, python3-sklearn), the service a user would otherwise write.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Scenario } from '../scenario.js'
import { irisFeatures } from '../iris.js'
import { acquireServer, httpBudget, LOGREG_DIR, LOGREG_MODEL, post, releaseServer, stopChild } from './http-server-process.js'

const CONCURRENCY = 32
const PYTHON = process.env.QUIVER_PYTHON ?? '/usr/bin/python3'

const FASTAPI_APP = `
import sys
import joblib
import numpy as np
from fastapi import FastAPI, Request

model = joblib.load(sys.argv[1])
app = FastAPI()

@app.post("/predict")
async def predict(request: Request):
    rows = await request.json()
    x = np.array([r["inputs"] for r in rows], dtype=np.float64)
    labels = model.predict(x)
    probabilities = model.predict_proba(x)
    return [{"out.predictions": int(l), "out.probabilities": p.tolist()} for l, p in zip(labels, probabilities)]
`

function bodies(): string[] {
  const features = irisFeatures(CONCURRENCY)
  return Array.from({ length: CONCURRENCY }, (_, i) => JSON.stringify([{ inputs: Array.from(features.subarray(i * 4, i * 4 + 4)) }]))
}

function quiverRestScenario(): Scenario {
  let url = ''
  const sent = bodies()
  return {
    name: `http-json-logreg-b1-c${CONCURRENCY}`,
    rawBaseline: `bare-http-b1-c${CONCURRENCY}`,
    competitor: `fastapi-sklearn-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: sent[0]!, headers: { 'content-type': 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      url = `${(await acquireServer()).url}/v1/models/${LOGREG_MODEL}/infer`
      const answer = Buffer.from(await post(url, sent[0]!, { 'content-type': 'application/json' })).toString()
      if (!answer.includes('out.probabilities')) throw new Error(`the logreg model is not served (Python needed once to convert it): ${answer.slice(0, 200)}`)
    },
    async run() {
      await Promise.all(sent.map((b) => post(url, b, { 'content-type': 'application/json', accept: 'application/json' })))
      return CONCURRENCY
    },
    teardown: releaseServer,
  }
}

function quiverV2Scenario(): Scenario {
  let url = ''
  const features = irisFeatures(CONCURRENCY)
  const sent = Array.from({ length: CONCURRENCY }, (_, i) => JSON.stringify({
    inputs: [{ name: 'inputs', shape: [1, 4], datatype: 'FP64', data: Array.from(features.subarray(i * 4, i * 4 + 4)) }],
  }))
  return {
    name: `v2-json-logreg-b1-c${CONCURRENCY}`,
    rawBaseline: `bare-http-b1-c${CONCURRENCY}`,
    competitor: `fastapi-sklearn-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: sent[0]!, headers: { 'content-type': 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      url = `${(await acquireServer()).url}/v2/models/${LOGREG_MODEL}/infer`
      const answer = Buffer.from(await post(url, sent[0]!, { 'content-type': 'application/json' })).toString()
      if (!answer.includes('"outputs"')) throw new Error(`the logreg model is not served over /v2: ${answer.slice(0, 200)}`)
    },
    async run() {
      await Promise.all(sent.map((b) => post(url, b, { 'content-type': 'application/json' })))
      return CONCURRENCY
    },
    teardown: releaseServer,
  }
}

function fastApiScenario(): Scenario {
  let child: ChildProcess | undefined
  let url = ''
  const sent = bodies()
  return {
    name: `fastapi-sklearn-b1-c${CONCURRENCY}`,
    budget: httpBudget(CONCURRENCY),
    load: () => ({ url, body: sent[0]!, headers: { 'content-type': 'application/json' }, connections: CONCURRENCY }),
    async setup() {
      const port = await freePort()
      child = spawn(PYTHON, ['-c', `${FASTAPI_APP}\nimport uvicorn\nuvicorn.run(app, host="127.0.0.1", port=${port}, log_level="warning")`, join(LOGREG_DIR, 'model.pkl')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d))
      const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`FastAPI + uvicorn is not available here (exit ${code}): ${stderr.trim().split('\n').at(-1)}`))))
      url = `http://127.0.0.1:${port}/predict`
      await Promise.race([exited, waitUntilAnswering(url, sent[0]!)])
    },
    async run() {
      await Promise.all(sent.map((b) => post(url, b, { 'content-type': 'application/json', accept: 'application/json' })))
      return CONCURRENCY
    },
    teardown: () => stopChild(child),
  }
}

async function waitUntilAnswering(url: string, body: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const answer = Buffer.from(await post(url, body, { 'content-type': 'application/json' })).toString()
      if (answer.includes('out.probabilities')) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('FastAPI did not answer within 30 s')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export const scenarios: Scenario[] = [fastApiScenario(), quiverRestScenario(), quiverV2Scenario()]
