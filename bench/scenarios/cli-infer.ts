import { spawn } from 'node:child_process'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL } from '../iris.js'

const BIN = fileURLToPath(new URL('../../bin/quiver', import.meta.url))
const MODEL = 'bench-iris'

/** A whole `quiver infer` process per iteration: start-up, home open, model load, one row. */
function cliColdScenario(): Scenario {
  let home = ''
  let input = ''
  return {
    name: 'cli-infer-cold',
    rawBaseline: 'onnx-raw-b1',
    budget: { full: { warmup: 1, minIterations: 10, maxIterations: 10, timeMs: 0 }, quick: { warmup: 1, minIterations: 3, maxIterations: 3, timeMs: 0 } },
    async setup() {
      await access(BIN, constants.X_OK).catch(() => {
        throw new Error(`${BIN} is missing or not executable`)
      })
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-cli-'))
      const api = await createLocalQuiver({ home })
      try {
        await api.uploadModel({ name: MODEL, source: { path: IRIS_MODEL }, framework: 'onnx' })
      } finally {
        await api.close()
      }
      input = join(home, 'input.json')
      await writeFile(input, JSON.stringify({ columns: { features: [[5.1, 3.5, 1.4, 0.2]] } }))
    },
    async run() {
      await runCli(['--home', home, 'infer', MODEL, '--input', input, '--output', '/dev/null'])
      return 1
    },
    async teardown() {
      if (home) await rm(home, { recursive: true, force: true })
    },
  }
}

function runCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`quiver ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n')[0]}`))
    })
  })
}

export const scenarios: Scenario[] = [cliColdScenario()]
