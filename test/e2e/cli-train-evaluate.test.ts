/** The train / suite / evaluate / compare commands' bad input at the command line: exit code 2 and one clear sentence on stderr. */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'

describe('quiver train / suite / evaluate / compare refuse bad input', () => {
  let home: string
  let dir: string
  before(async () => {
    dir = await makeTemp()
    home = join(dir, 'home')
    await writeFile(join(dir, 'samples.csv'), 'a,b,label\n1,2.5,0\n3,4.5,1\n')
    await writeFile(join(dir, 'trainer.py'), 'def train(X, y, config):\n    raise RuntimeError("unused")\n')
  })
  after(() => removeTemp(dir))

  it('a case expression that does not parse', async () => {
    const r = await runCli(['suite', 'create', 's', '--file', join(dir, 'samples.csv'), '--label', 'label', '--case', 'big=in.a >> 2'], { home })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /case 'big' \("in\.a >> 2"\): .*position/)
  })

  it('a missing label column, for a suite and for training', async () => {
    const s = await runCli(['suite', 'create', 's', '--file', join(dir, 'samples.csv'), '--label', 'y'], { home })
    assert.equal(s.code, 2, s.stderr)
    assert.match(s.stderr, /label column 'y' is not in samples\.csv; its columns are a, b, label/)
    const t = await runCli(['train', 'm', '--trainer', join(dir, 'trainer.py'), '--training-set', join(dir, 'samples.csv'), '--label', 'y'], { home })
    assert.equal(t.code, 2, t.stderr)
    assert.match(t.stderr, /label column 'y' is not in the training set/)
  })

  it('train without a training set, or a spine without features', async () => {
    const none = await runCli(['train', 'm', '--trainer', join(dir, 'trainer.py')], { home })
    assert.equal(none.code, 2, none.stderr)
    assert.match(none.stderr, /--training-set FILE, or --spine FILE with --features/)
    const spine = await runCli(['train', 'm', '--trainer', join(dir, 'trainer.py'), '--spine', join(dir, 'samples.csv')], { home })
    assert.equal(spine.code, 2, spine.stderr)
    assert.match(spine.stderr, /--spine needs --features/)
  })

  it('evaluating against a suite that does not exist', async () => {
    const r = await runCli(['evaluate', 'nope', '--suite', 'missing', '--json'], { home })
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /model 'nope' does not exist|test suite 'missing' does not exist/)
  })
})
