/**
 * The package as a user gets it: `npm pack` → `npm install -g` of the tarball on a clean prefix
 * (dependencies from npm's cache, onnxruntime-node's GPU download skipped as README says) → the
 * installed bin and the SDK from plain `node`, no TypeScript involved.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { REPO } from '../helpers/cli.js'

const exec = promisify(execFile)
const IRIS = join(REPO, 'examples/iris-onnx')

describe('the packed tarball installs globally and runs without the checkout', () => {
  let dir: string
  let project: string
  let bin: string
  let files: string[]
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', QUIVER_DATABASE_URL: '', QUIVER_FROM_SOURCE: '', NODE_OPTIONS: '' }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quiver-pack-'))
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, env, maxBuffer: 64 << 20 })
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
    files = info[0]!.files.map((f) => f.path)
    // `npm install -g` on a clean prefix, as a user would; dependencies come from npm's cache.
    const prefix = join(dir, 'prefix')
    await exec('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info[0]!.filename)], { cwd: dir, env, maxBuffer: 64 << 20 })
    bin = join(prefix, 'bin/quiver')
    // An app that uses the SDK: the globally installed package linked into its node_modules, as `npm link quiver` does.
    project = join(dir, 'app')
    await mkdir(join(project, 'node_modules'), { recursive: true })
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }))
    await symlink(join(prefix, 'lib/node_modules/quiver'), join(project, 'node_modules/quiver'), 'dir')
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('ships built code, types and runtime files, and no tests, bench or CI', () => {
    for (const needed of ['dist/quiver.js', 'dist/index.js', 'dist/client.js', 'dist/types/index.d.ts', 'dist/types/client/index.d.ts', 'bin/quiver',
      'src/store/migrations/001-init.sql', 'src/runtimes/python/worker/quiver_worker.py', 'README.md', 'dist/ui/index.html']) {
      assert.ok(files.includes(needed), `${needed} is missing from the tarball`)
    }
    assert.ok(files.some((f) => /^dist\/ui\/assets\/index-[\w-]+\.js$/.test(f)), 'the built web UI is missing from the tarball')
    const stray = files.filter((f) => /^(test|bench|\.ci|scripts\/(?!install-system-deps))\//.test(f) || f.endsWith('.test.ts'))
    assert.deepEqual(stray, [])
  })

  it('runs the bin from the bundle: --version, upload, infer from stdin to stdout', async () => {
    const version = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version
    assert.equal((await exec(bin, ['--version'], { cwd: project, env })).stdout.trim(), version)
    const home = join(dir, 'home')
    await exec(bin, ['--home', home, 'upload', 'iris', join(IRIS, 'model.onnx'), '--framework', 'onnx'], { cwd: project, env })
    const input = await readFile(join(IRIS, 'input.json'), 'utf8')
    const result = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin, ['--home', home, 'infer', 'iris', '--input', '-', '--output', '-'], { cwd: project, env })
      let out = ''
      let err = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (err += d))
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))))
      child.stdin.end(input)
    })
    const rows = JSON.parse(result) as Record<string, number[]>[]
    assert.equal(rows.length, (JSON.parse(input) as unknown[]).length)
    assert.equal(rows[0]!['out.species_probs']!.length, 3)
  })

  it('serves, and the SDK from plain node reads results into JS values', async () => {
    const home = join(dir, 'served')
    await exec(bin, ['--home', home, 'upload', 'iris', join(IRIS, 'model.onnx'), '--framework', 'onnx'], { cwd: project, env })
    const server = spawn(bin, ['--home', home, 'serve', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        server.stdout.on('data', (d) => {
          out += d
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)))
      })
      const script = `
        import { Quiver } from 'quiver/client'
        const quiver = new Quiver({ url: ${JSON.stringify(url)} })
        const table = await quiver.infer('iris', [{ features: [5.7, 3.8, 1.7, 0.3] }])
        const probs = Array.from(table.getChild('out.species_probs').get(0))
        console.log(JSON.stringify({ rows: table.numRows, probs, models: (await quiver.listModels()).map((m) => m.name) }))
      `
      const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env })
      const got = JSON.parse(stdout) as { rows: number; probs: number[]; models: string[] }
      assert.equal(got.rows, 1)
      assert.equal(got.probs.length, 3)
      assert.ok(got.probs[0]! > 0.9, JSON.stringify(got.probs))
      assert.deepEqual(got.models, ['iris'])
      const page = await fetch(`${url}/`)
      assert.equal(page.status, 200)
      assert.match(await page.text(), /<script type="module"[^>]+src="\/assets\//)
      const core = await exec(process.execPath, ['--input-type=module', '-e', "import('quiver').then((m) => console.log(typeof m.createLocalQuiver))"], { cwd: project, env })
      assert.equal(core.stdout.trim(), 'function')
    } finally {
      // Wait for the exit: the folder is removed after this, and a live server still writes its home.
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once('exit', r))
        server.kill('SIGTERM')
        await exited
      }
    }
  })
})
