/**
 * Builds `dist/`: the CLI (`src/cli/run.ts` → `dist/quiver.js`) and the ONNX thread entry as ES
 * module bundles, so that `bin/quiver` starts without compiling TypeScript or resolving hundreds
 * of small modules. `npm run build`; `npm ci` and `npm install` run it through `prepare`.
 *
 * `bin/quiver` runs the bundle only while `dist/quiver.js` is newer than everything under `src/`
 * (and this script and package.json); its mtime is set to the moment the build started, so a
 * source saved during the build also counts as newer.
 *
 * A rebuild never breaks a process already running from `dist/`: chunks are named by content and
 * only chunks unused for a day are removed, and each file is replaced by rename, never rewritten in
 * place.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { build } from 'esbuild'

const ROOT = resolve(import.meta.dirname, '..')
/** Where `bin/quiver` looks for the bundle. */
export const DIST = join(ROOT, 'dist')

/**
 * Output name → source; one whose source is absent is left out. Modules that locate a sibling entry
 * point by `import.meta.url` find it here under the same name (the ONNX thread pool starts
 * `./onnx-thread-worker.js`).
 */
const ENTRIES: Record<string, string> = {
  quiver: 'src/cli/run.ts',
  'onnx-thread-worker': 'src/runtimes/onnx/onnx-thread-worker.ts',
  'js-thread-worker': 'src/runtimes/js/js-thread-worker.ts',
  'row-split-worker': 'src/runtimes/convert/row-split-worker.ts',
}

/**
 * The package's library entries (`quiver`, `quiver/client`), built separately with every dependency
 * external: a user's own `apache-arrow` must be the one the SDK's tables come from.
 */
const LIBRARY_ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  client: 'src/client/index.ts',
}

/**
 * Pure-JS packages on every command's start-up path, inlined: apache-arrow loads as ~200 separate
 * ES modules in ~150 ms, and in ~20 ms as part of a bundle. Every other dependency stays an import
 * resolved from node_modules at run time (native addons, WASM, and packages that locate their own
 * files), and stays in the chunk of the code that imports it, so it loads only on the paths that
 * use it (hono only for serve, DuckDB only for Parquet and CSV).
 */
const INLINE = new Set(['apache-arrow', 'commander'])

/** Files older than this that the new build does not produce are removed. */
const KEEP_UNUSED_MS = 24 * 60 * 60 * 1000

/** Inlined CommonJS code (commander) calls `require`, which an ES module lacks. */
const REQUIRE_SHIM = "import { createRequire as __quiverCreateRequire } from 'node:module'; const require = __quiverCreateRequire(import.meta.url);"

export interface BuildOptions {
  /**
   * Output folder (default `dist/`). Bundled code finds the files Quiver ships through the package
   * root one folder up (see src/package-path.ts), so it must be a folder directly in the root.
   */
  outdir?: string
}

/** Builds the bundles and returns the paths written, relative to the package root. */
export async function buildBundle(opts: BuildOptions = {}): Promise<string[]> {
  const outdir = resolve(opts.outdir ?? DIST)
  if (dirname(outdir) !== ROOT) throw new Error(`the bundle folder must sit directly in ${ROOT}, got ${outdir}`)
  const started = new Date()
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  const dependencies = Object.keys(pkg.dependencies ?? {})
  const cli = await bundle(ENTRIES, outdir, dependencies.filter((d) => !INLINE.has(d)))
  const library = await bundle(LIBRARY_ENTRIES, outdir, dependencies)
  const outputs = [...cli, ...library]
  await mkdir(outdir, { recursive: true })
  // Chunks before entries: an entry is only ever visible next to every chunk it imports.
  for (const file of [...outputs.filter((f) => !f.entry), ...outputs.filter((f) => f.entry)]) await replaceFile(file.path, file.contents)
  // The stamp bin/quiver compares sources against: a source saved after this moment is newer.
  await utimes(join(outdir, 'quiver.js'), started, started)
  await removeUnused(outdir, new Set(outputs.map((f) => f.path)))
  return outputs.map((f) => relative(ROOT, f.path))
}

interface OutputFile {
  path: string
  contents: Uint8Array
  entry: boolean
}

async function bundle(entries: Record<string, string>, outdir: string, externalPackages: string[]): Promise<OutputFile[]> {
  const present = Object.entries(entries).filter(([, src]) => existsSync(join(ROOT, src)))
  const entryPoints = Object.fromEntries(present.map(([name, src]) => [name, join(ROOT, src)]))
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // No keepNames: it wraps every function and closure in a naming call, on every creation.
    external: externalPackages.flatMap((d) => [d, `${d}/*`]),
    banner: { js: REQUIRE_SHIM },
    write: false,
    logLevel: 'warning',
  })
  const entryPaths = new Set(present.map(([name]) => join(outdir, `${name}.js`)))
  return result.outputFiles.map((f) => ({ path: f.path, contents: f.contents, entry: entryPaths.has(f.path) }))
}

async function replaceFile(path: string, contents: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  await writeFile(tmp, contents)
  await rename(tmp, path)
}

async function removeUnused(outdir: string, produced: Set<string>): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(outdir)) {
    const path = join(outdir, name)
    if (produced.has(path)) continue
    const info = await stat(path).catch(() => null)
    if (info?.isFile() && now - info.mtimeMs > KEEP_UNUSED_MS) await unlink(path).catch(() => {})
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const files = await buildBundle()
  process.stderr.write(`built ${files.length} files in ${relative(process.cwd(), DIST) || '.'}/\n`)
}
