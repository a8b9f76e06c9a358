/**
 * The prebuilt CLI: which code `bin/quiver` runs (bundle or sources), and a freshly built bundle
 * doing the work that depends on files Quiver ships beside its code: SQL migrations, the Python
 * worker and extraction scripts, the queued conversion of a --no-wait upload, the ONNX thread entry.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { buildBundle } from '../../scripts/build-bundle.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { pythonModulesFor } from '../../src/runtimes/python/python-runtime.js'
import { assertClose } from '../helpers/compare.js'
import { REPO, type CliResult } from '../helpers/cli.js'
import { modelCases } from '../helpers/fixtures.js'

function run(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: REPO,
      env: { ...process.env, QUIVER_DATABASE_URL: '', QUIVER_FROM_SOURCE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

describe('bin/quiver picks the bundle only while it is newer than the sources', () => {
  // A package of stand-ins: each entry prints which one ran.
  let pkg: string
  const T0 = new Date('2030-01-01T00:00:00Z')
  const T1 = new Date('2030-01-02T00:00:00Z')
  const T2 = new Date('2030-01-03T00:00:00Z')
  const which = async (env: NodeJS.ProcessEnv = {}) => {
    const r = await run(join(pkg, 'bin/quiver'), [], env)
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.trim()
  }
  const stamp = (rel: string, time: Date) => utimesSync(join(pkg, rel), time, time)

  before(() => {
    pkg = join(tmpdir(), `quiver-bin-${process.pid}`)
    rmSync(pkg, { recursive: true, force: true })
    for (const dir of ['bin', 'dist', 'scripts', 'src/cli']) mkdirSync(join(pkg, dir), { recursive: true })
    cpSync(join(REPO, 'bin/quiver'), join(pkg, 'bin/quiver'))
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'))
    writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }\n')
    writeFileSync(join(pkg, 'scripts/build-bundle.ts'), '\n')
    writeFileSync(join(pkg, 'src/cli/run.ts'), "const from: string = 'source'\nconsole.log(from)\n")
    writeFileSync(join(pkg, 'dist/quiver.js'), "console.log('bundle')\n")
  })
  after(() => rmSync(pkg, { recursive: true, force: true }))

  /** Every input at T0, the bundle at T1. */
  const settle = () => {
    for (const rel of ['package.json', 'scripts/build-bundle.ts', 'src/cli/run.ts', 'src/cli', 'src']) stamp(rel, T0)
    stamp('dist/quiver.js', T1)
  }

  it('runs the bundle when it is newer than every source', async () => {
    settle()
    assert.equal(await which(), 'bundle')
  })

  it('runs the sources when QUIVER_FROM_SOURCE=1', async () => {
    settle()
    assert.equal(await which({ QUIVER_FROM_SOURCE: '1' }), 'source')
  })

  it('runs the sources once a source file is saved after the build', async () => {
    settle()
    stamp('src/cli/run.ts', T2)
    assert.equal(await which(), 'source')
  })

  it('runs the sources once a file is added or removed under src/', async () => {
    settle()
    stamp('src/cli', T2)
    assert.equal(await which(), 'source')
  })

  it('runs the sources once package.json or the build script changes', async () => {
    settle()
    stamp('package.json', T2)
    assert.equal(await which(), 'source')
    settle()
    stamp('scripts/build-bundle.ts', T2)
    assert.equal(await which(), 'source')
  })

  it('runs the sources when there is no bundle', async () => {
    settle()
    rmSync(join(pkg, 'dist/quiver.js'))
    try {
      assert.equal(await which(), 'source')
    } finally {
      writeFileSync(join(pkg, 'dist/quiver.js'), "console.log('bundle')\n")
    }
  })
})

describe('a freshly built bundle', () => {
  // Built next to dist/ so that it finds the package root, as dist/ does, without touching dist/.
  const outdir = join(REPO, `.dist-test-${process.pid}`)
  const entry = join(outdir, 'quiver.js')
  let home: string
  const q = (...args: string[]) => run(entry, ['--home', home, ...args])

  before(async () => {
    await buildBundle({ outdir })
    home = await mkdtemp(join(tmpdir(), 'quiver-bundle-'))
  })
  after(async () => {
    await rm(outdir, { recursive: true, force: true })
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('resolves shipped files from the package root', () => {
    // The bundle locates shipped files from its own URL, one folder up; nothing of the sources' location counts.
    const bundled = readdirSync(outdir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(outdir, f), 'utf8')).join('\n')
    const roots = [...bundled.matchAll(/new URL\(["']([^"']+)["'], import\.meta\.url\)/g)].map((m) => m[1])
    assert.deepEqual([...new Set(roots)], ['../'], 'the bundle resolves the package root, and only it, from its own URL')
    const root = fileURLToPath(new URL('../', pathToFileURL(entry)))
    assert.equal(join(root, '.'), join(REPO, '.'))
    for (const shipped of ['src/store/migrations', 'src/runtimes/python/worker/quiver_worker.py', 'src/runtimes/convert/quiver_extract.py']) {
      assert.ok(bundled.includes(JSON.stringify(shipped).slice(1, -1)), `the bundle names ${shipped}`)
      assert.ok(existsSync(join(root, shipped)), `${shipped} exists beside the bundle`)
    }
    assert.ok(existsSync(join(root, 'src/store/migrations/001-init.sql')))
  })

  it('migrates a new home, uploads and infers an ONNX model, on one thread and in a worker thread', async () => {
    const [c] = modelCases((m) => m.name === 'onnx-mlp-iris')
    assert.ok(c, 'the onnx-mlp-iris fixture exists')
    const up = await q('--json', 'upload', 'iris', join(c.dir, c.artifact), '--framework', 'onnx')
    assert.equal(up.code, 0, up.stderr)
    assert.equal(JSON.parse(up.stdout).status, 'ready')
    await writeFile(join(home, 'iris.json'), JSON.stringify(c.input))
    const inf = await q('infer', 'iris', '--input', join(home, 'iris.json'), '--output-format', 'columns')
    assert.equal(inf.code, 0, inf.stderr)
    const result = JSON.parse(inf.stdout).columns as Record<string, unknown[]>
    for (const [field, values] of Object.entries(c.expected.columns)) assertClose(result[`out.${field}`], values, c.tolerance, `out.${field}`)

    // 8192 rows × 4 features is past the size that runs in a worker thread started from its own entry file.
    const row = (c.input.columns.features as number[][])[0]!
    await writeFile(join(home, 'big.json'), JSON.stringify({ columns: { features: Array(8192).fill(row) } }))
    const big = await q('infer', 'iris', '--input', join(home, 'big.json'), '--output-format', 'columns')
    assert.equal(big.code, 0, big.stderr)
    const bigOut = JSON.parse(big.stdout).columns as Record<string, unknown[]>
    const first = Object.keys(c.expected.columns)[0]!
    assert.equal(bigOut[`out.${first}`]!.length, 8192)
    assert.deepEqual(bigOut[`out.${first}`]![8191], result[`out.${first}`]![0])
  })

  it('keeps error class names and exit codes', async () => {
    const r = await run(entry, ['--home', home, 'show', 'missing'], { QUIVER_DEBUG: '1' })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^NotFound: model 'missing' does not exist/m)
  })

  for (const name of ['sklearn-logreg-iris', 'python-zscore-step']) {
    it(`runs ${name} through the Python scripts shipped in src/`, async (t) => {
      const [c] = modelCases((m) => m.name === name)
      assert.ok(c, `the ${name} fixture exists`)
      await writeFile(join(home, `${name}.in.json`), JSON.stringify(c.input_schema))
      await writeFile(join(home, `${name}.out.json`), JSON.stringify(c.output_schema))
      const missing = process.env.CI ? null : await findPython([...pythonModulesFor(c.framework as 'sklearn' | 'python')]).then(() => null, (err: Error) => err.message)
      if (missing) {
        t.skip(`no Python interpreter with the ${c.framework} modules here: ${missing}`)
        return
      }
      const up = await q('--json', 'upload', name, join(c.dir, c.artifact), '--framework', c.framework,
        '--input-schema', join(home, `${name}.in.json`), '--output-schema', join(home, `${name}.out.json`))
      assert.equal(up.code, 0, up.stderr)
      assert.equal(JSON.parse(up.stdout).status, 'ready')
      await writeFile(join(home, `${name}.json`), JSON.stringify(c.input))
      const inf = await q('infer', name, '--input', join(home, `${name}.json`), '--output-format', 'columns')
      assert.equal(inf.code, 0, inf.stderr)
      const result = JSON.parse(inf.stdout).columns as Record<string, unknown[]>
      for (const [field, values] of Object.entries(c.expected.columns)) assertClose(result[`out.${field}`], values, c.tolerance, `out.${field}`)
    })
  }

  it('queues the conversion of a --no-wait upload for the next command that opens the home', async () => {
    const [c] = modelCases((m) => m.name === 'onnx-mlp-iris')
    const up = await q('--json', 'upload', 'later', join(c!.dir, c!.artifact), '--framework', 'onnx', '--no-wait')
    assert.equal(up.code, 0, up.stderr)
    assert.equal(JSON.parse(up.stdout).status, 'pending_conversion')
    const next = await q('models')
    assert.equal(next.code, 0, next.stderr)
    assert.match(next.stderr, /job \d+ \(convert default\/later#1\) succeeded/)
    const s = await q('--json', 'status', 'later')
    assert.equal(s.code, 0, s.stderr)
    const status = JSON.parse(s.stdout).status
    assert.equal(status, 'ready')
  })
})
