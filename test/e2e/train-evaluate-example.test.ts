/** examples/train-evaluate/run.sh, as the README runs it: train on a point-in-time training set, evaluate, compare, promote production. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { it } from 'node:test'
import { makeTemp, removeTemp, REPO } from '../helpers/cli.js'
import { sklearnSkipReason } from '../helpers/sklearn.js'

const skip = sklearnSkipReason('the train-evaluate example')

it('runs examples/train-evaluate/run.sh: the retrained version is promoted to production', { skip }, async () => {
  const home = await makeTemp()
  try {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
      const child = spawn('bash', [join(REPO, 'examples/train-evaluate/run.sh')], {
        cwd: REPO, env: { ...process.env, QUIVER_HOME: home, QUIVER_DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (out += d))
      child.on('error', reject)
      child.on('close', (c) => resolve({ code: c ?? -1, output: out }))
    })
    assert.equal(code, 0, output.slice(-3000))
    assert.match(output, /B regresses on no case/)
    assert.match(output, /promoted: production → churn:/)
    assert.match(output, /production is churn#2 \(promoted/)
    assert.match(output, /-->\|trained\| /)
    assert.match(output, /customers\.support_calls<br\/><i>feature<\/i>/)
  } finally {
    await removeTemp(home)
  }
})
