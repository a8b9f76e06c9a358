/**
 * The web UI in headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * `bin/quiver serve --port 0` with real models: every page loads, a tag moved in the browser moves
 * in the registry, a lineage graph opens, a log page reads, and with `--auth` a viewer signs in and
 * sees no tag buttons. Screenshots go to the test's temp folder (kept with QUIVER_KEEP_UI_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { Quiver } from '../../src/client/index.js'
import { makeTemp, REPO, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served } from '../helpers/serve.js'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
const IRIS = join(REPO, 'test/fixtures/models/onnx-mlp-iris')
const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (scripts/install-system-deps.sh installs Debian's chromium)`

if (missing && process.env.CI) {
  it('needs Chromium under CI', () => assert.fail(missing))
}

/** The built UI; built here when a checkout has not run `npm run build` yet. */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(REPO, 'dist/ui/index.html'))) return
  await promisify(execFile)('npm', ['run', 'build:ui'], { cwd: REPO })
}

async function browser(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1366, height: 860 },
  })
}

function stopped(server: Served | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return Promise.resolve()
  server.child.kill('SIGKILL')
  return new Promise((r) => server.child.once('exit', () => r()))
}

describe('the web UI in Chromium', { skip: missing ?? false }, () => {
  let dir: string
  let shots: string
  let server: Served
  let ctx: BrowserContext
  let page: Page
  let quiver: Quiver
  let auth: Promise<{ server: Served; viewer: string }>
  const errors: string[] = []
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
  const open = async (hash: string) => {
    await page.goto(`${server.url}/${hash}`)
    await page.locator('main h1').first().waitFor()
  }

  before(async () => {
    dir = await makeTemp('quiver-web-ui-')
    shots = join(dir, 'screenshots')
    await mkdir(shots)
    await ensureBuilt()
    auth = authServer(join(dir, 'auth-home'))
    auth.catch(() => {})
    ;[server, ctx] = await Promise.all([serve(join(dir, 'home'), []), browser(dir)])
    quiver = new Quiver({ url: server.url })
    await quiver.uploadModel('iris', join(IRIS, 'model.onnx'), { framework: 'onnx', tags: ['production'], metadata: { team: 'ml' } })
    await quiver.uploadModel('iris', join(IRIS, 'model.onnx'), { framework: 'onnx', tags: ['staging'], description: 'retrained' })
    await quiver.pipelines.create('iris-pipe', [{ ref: 'iris@production' }])
    await quiver.pipelines.deploy('iris-pipe', { batchMaxRows: 8 })
    const rows = JSON.parse(await readFile(join(IRIS, 'input.json'), 'utf8'))
    for (let i = 0; i < 5; i++) await quiver.pipelines.infer('iris-pipe', { kind: 'json', value: rows })
    await writeFile(join(dir, 'flowers.csv'), 'flower_id,ts,sl,sw,pl,pw\n1,2026-01-01T00:00:00Z,5.1,3.5,1.4,0.2\n')
    await quiver.features.apply([{
      name: 'flowers', entity: ['flower_id'], event_time: 'ts', source: { path: join(dir, 'flowers.csv') },
      features: [
        ...['sl', 'sw', 'pl', 'pw'].map((name) => ({ name, type: 'float32' })),
        { name: 'species', type: { list: 'float32', size: 3 }, inference: { model: 'iris@production', inputs: ['sl', 'sw', 'pl', 'pw'], output: 'species_probs' } },
      ],
    }])
    // A test suite: the fixture's rows with the class the model gives each as ground truth, one flipped.
    const features = rows.columns.features as number[][]
    const probs = JSON.parse(await readFile(join(IRIS, 'expected.json'), 'utf8')).columns.species_probs as number[][]
    const labels = probs.map((p) => p.indexOf(Math.max(...p)))
    labels[0] = (labels[0]! + 1) % 3
    await writeFile(join(dir, 'holdout.csv'), ['sl,sw,pl,pw,species', ...features.map((f, i) => [...f, labels[i]].join(','))].join('\n'))
    await quiver.api.evaluation.createSuite({
      name: 'iris-holdout', source: { path: join(dir, 'holdout.csv') }, label: 'species', features: ['sl', 'sw', 'pl', 'pw'],
      cases: [{ name: 'long', expression: 'in.pl > 4' }],
    })
    page = await ctx.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
  })
  after(async () => {
    await ctx?.close()
    await stopped(server)
    await stopped(await auth?.then((a) => a.server, () => undefined))
    if (process.env.QUIVER_KEEP_UI_SCREENSHOTS) process.stderr.write(`web UI screenshots kept in ${shots}\n`)
    else await removeTemp(dir)
  })

  it('lists models with search and framework filter, and serves hashed assets immutable', async () => {
    await open('#/models')
    const table = page.getByRole('table', { name: 'models' })
    await table.getByRole('link', { name: 'iris' }).waitFor()
    assert.match(await table.innerText(), /iris\s+onnx\s+2\s+#2/)
    await page.getByRole('searchbox').fill('nothing-like-it')
    await page.getByText('No model matches.').waitFor()
    await page.getByRole('searchbox').fill('ir')
    await page.getByLabel('Framework').selectOption('onnx')
    await table.getByRole('link', { name: 'iris' }).waitFor()
    await shot('models')
    // Keyboard: "/" focuses the search box, Tab reaches the model's link, Enter opens it.
    await page.locator('main h1').click()
    await page.keyboard.press('/')
    assert.ok(await page.getByRole('searchbox').evaluate((e) => e === document.activeElement))
    for (let i = 0; i < 8 && !(await table.getByRole('link', { name: 'iris' }).evaluate((e) => e === document.activeElement)); i++) await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/models\/iris$/)
    const index = await fetch(`${server.url}/`)
    assert.equal(index.headers.get('cache-control'), 'no-cache')
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())![1]!
    assert.equal((await fetch(server.url + asset)).headers.get('cache-control'), 'public, max-age=31536000, immutable')
  })

  it('shows a version in full and moves a tag in the registry after a confirmation', async () => {
    await open('#/models/iris/2')
    const v2 = await quiver.getVersion('iris#2')
    assert.equal(await page.getByTestId('sha256').innerText(), v2.sha256)
    await page.getByRole('table', { name: 'Input schema' }).getByText('list<float32>[4]').waitFor()
    await page.getByLabel('Tag this version').fill('production')
    await page.getByRole('button', { name: 'Move tag here' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('Move production from iris#1 to iris#2?').waitFor()
    await shot('move-tag-confirm')
    await dialog.getByRole('button', { name: 'Move' }).click()
    await page.getByRole('list', { name: 'tags' }).getByText('production').waitFor()
    assert.equal((await quiver.getVersion('iris@production')).seq, 2)
    // Roll back: production moves to #1 again from #1's page; then staging is removed from #2.
    await open('#/models/iris/1')
    await page.getByRole('button', { name: 'production (now #2)' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click()
    await page.getByRole('list', { name: 'tags' }).getByText('production').waitFor()
    assert.equal((await quiver.getVersion('iris@production')).seq, 1)
    await open('#/models/iris/2')
    await page.getByRole('button', { name: 'remove tag staging' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click()
    await page.getByText('No tags on this version.').waitFor()
    assert.deepEqual((await quiver.getVersion('iris#2')).tags, [])
    await shot('model')
  })

  it('shows pipelines and deployments, and redeploys with new settings', async () => {
    await open('#/pipelines')
    await page.getByRole('table', { name: 'pipelines' }).getByRole('link', { name: 'iris-pipe' }).click()
    await page.getByRole('table', { name: 'deployment' }).getByText('up to 8 rows, waiting 0 ms').waitFor()
    await page.getByRole('table', { name: 'steps' }).getByRole('link', { name: 'iris#1' }).waitFor()
    assert.match(await page.getByRole('table', { name: 'steps' }).innerText(), /iris@production\s+iris#1\s+ready/)
    await page.getByLabel('Replicas').fill('2')
    await page.getByRole('button', { name: 'Redeploy' }).click()
    await page.getByRole('table', { name: 'deployment' }).getByText(/^2$/).waitFor()
    assert.equal((await quiver.pipelines.show('iris-pipe')).deployment?.replicas, 2)
    await shot('pipeline')
  })

  it('reads a log page with its latency histogram and throughput chart', async () => {
    await open('#/pipelines/iris-pipe/logs')
    const rows = page.getByRole('table', { name: 'log rows' }).locator('tbody tr')
    await rows.first().waitFor()
    const logged = (await quiver.pipelines.logs('iris-pipe')).numRows
    assert.ok(logged > 0)
    assert.equal(await rows.count(), Math.min(50, logged))
    await page.getByRole('img', { name: 'latency histogram' }).locator('canvas').waitFor()
    await page.getByRole('img', { name: 'throughput over time' }).locator('canvas').waitFor()
    assert.ok(logged > 50, `${logged} rows logged`)
    const pager = page.getByRole('navigation', { name: 'pages' })
    await pager.getByText(`1–50 of ${logged}`).waitFor()
    await pager.getByRole('button', { name: 'Next ›' }).click()
    assert.equal(await rows.count(), logged - 50)
    await page.getByLabel(/Only rows with anomalies/).check()
    await page.getByText(`0 of ${logged} rows`).waitFor()
    await shot('logs')
  })

  it('shows a feature set with its derived feature', async () => {
    await open('#/features')
    await page.getByRole('link', { name: 'flowers' }).click()
    const features = page.getByRole('table', { name: 'features' })
    await features.getByText('iris@production').waitFor()
    assert.match(await features.innerText(), /species\s+list<float32>\[3\]\s+iris@production/)
    await page.getByRole('button', { name: 'Materialize' }).click()
    await page.getByRole('status').getByText(/^Wrote 1 entities of flowers v1/).waitFor()
    const form = page.getByRole('form', { name: 'fetch' })
    await form.getByLabel('flower_id').fill('1')
    await form.getByRole('button', { name: 'Fetch' }).click()
    const fetched = page.getByRole('table', { name: 'fetched features' })
    await fetched.waitFor()
    const expected = await quiver.features.fetch('flowers', { flower_id: 1 })
    const species = fetched.locator('tr', { hasText: 'species' })
    assert.equal(await species.locator('td').nth(1).innerText(), JSON.stringify(expected.features.species))
    assert.equal(await species.locator('td').nth(2).innerText(), expected.models.species)
    await shot('feature-set')
  })

  it('opens a lineage graph, follows it downstream, pans and zooms', async () => {
    await open('#/lineage/iris')
    const graph = page.getByRole('application', { name: 'lineage graph' })
    await graph.locator('[data-node="pipeline:iris-pipe"]').waitFor()
    await graph.locator('[data-node="feature:flowers.species"]').waitFor()
    await page.getByText('recorded lineage, with the pipelines serving its versions').waitFor()
    await page.getByRole('button', { name: 'upstream' }).click()
    await graph.locator('[data-node="pipeline:iris-pipe"]').waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'downstream' }).click()
    await graph.locator('[data-node="pipeline:iris-pipe"]').waitFor()
    const content = page.getByTestId('graph-content')
    const before = await content.getAttribute('transform')
    await page.getByRole('button', { name: 'zoom in' }).click()
    await graph.focus()
    await page.keyboard.press('ArrowLeft')
    assert.notEqual(await content.getAttribute('transform'), before)
    await shot('lineage')
    await graph.locator('[data-node="pipeline:iris-pipe"]').click()
    await page.waitForURL(/#\/lineage\/pipeline%3Airis-pipe$/)
  })

  it('compares two versions on a suite: metrics per case side by side, deltas, confusion matrices', async () => {
    await open('#/evaluations')
    await page.getByText('No evaluation shown yet.').waitFor()
    await page.getByLabel('Model').fill('iris#1')
    await page.getByLabel('Compare with').fill('iris#2')
    await page.getByLabel('Suite').fill('iris-holdout')
    await page.getByRole('button', { name: 'Evaluate' }).click()
    const metrics = page.getByRole('table', { name: 'metrics' })
    await metrics.waitFor()
    const text = await metrics.innerText()
    // 11 of the 12 rows keep the model's own class as their label: accuracy 11/12 for both versions.
    assert.match(text, /^all\s+rows\s+12\s+12\s+\+0\n\s+accuracy\s+0\.9167\s+0\.9167\s+\+0$/m)
    assert.match(text, /^long\s+rows/m)
    await page.getByTestId('verdict').getByText('No metric moved past the threshold.').waitFor()
    assert.equal(await page.getByRole('img', { name: /^confusion matrix of iris:/ }).count(), 2)
    await shot('compare')
  })

  it('shows evaluations pasted from evaluate --json', async () => {
    await open('#/evaluations')
    const evaluation = (model: string, accuracy: number, cm: number[][]) => ({
      model, suite: 'iris-holdout#1', task: 'classification', deterministic: true,
      cases: { all: { accuracy, f1_macro: accuracy - 0.01, confusion_matrix: cm }, setosa: { accuracy: 1 } },
    })
    const both = [evaluation('iris:a', 0.9, [[5, 0, 0], [0, 4, 1], [0, 1, 4]]), evaluation('iris:b', 0.95, [[5, 0, 0], [0, 5, 0], [0, 1, 4]])]
    await page.getByText('Paste the JSON').click()
    await page.getByLabel('evaluation JSON').fill(JSON.stringify(both))
    await page.getByRole('button', { name: 'Show' }).click()
    assert.match(await page.getByRole('table', { name: 'metrics' }).innerText(), /accuracy\s+0\.9000\s+0\.9500\s+\+0\.0500/)
    await page.getByRole('img', { name: 'metric deltas for all' }).waitFor()
    assert.equal(await page.getByRole('img', { name: /^confusion matrix of/ }).count(), 2)
    await shot('evaluations')
  })

  it('raised no error in the pages', () => {
    assert.deepEqual(errors, [])
  })

  it('asks for a token with --auth, and a viewer sees no tag buttons', async () => {
    const { server: guarded, viewer } = await auth
    const signin = await ctx.newPage()
    await signin.goto(`${guarded.url}/#/models/iris`)
    await signin.getByRole('heading', { name: 'Sign in to Quiver' }).waitFor()
    await signin.getByLabel('Token').fill('not-a-token')
    await signin.getByRole('button', { name: 'Sign in' }).click()
    await signin.getByRole('alert').getByText(/not valid/).waitFor()
    await signin.getByLabel('Token').fill(viewer)
    await signin.getByRole('button', { name: 'Sign in' }).click()
    await signin.getByText('default · viewer').waitFor()
    await signin.getByRole('list', { name: 'tags' }).getByText('production').waitFor()
    assert.equal(await signin.getByRole('button', { name: /Move tag|remove tag/ }).count(), 0)
    await signin.screenshot({ path: join(shots, 'viewer.png') })
  })
})

/** A second server, with --auth, on its own home: an owner token made by the CLI, a viewer token over /v1/tokens. */
async function authServer(home: string): Promise<{ server: Served; viewer: string }> {
  const owner = await runCli(['token', 'create', '--role', 'owner'], { home })
  assert.equal(owner.code, 0, owner.stderr)
  const server = await serve(home, ['--auth'])
  const quiver = new Quiver({ url: server.url, token: owner.stdout.trim() })
  await quiver.uploadModel('iris', join(IRIS, 'model.onnx'), { framework: 'onnx', tags: ['production'] })
  return { server, viewer: (await quiver.api.auth.createToken({ workspace: 'default', role: 'viewer' })).token }
}
