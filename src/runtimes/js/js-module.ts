/**
 * Finding and importing a `js` model: a `.js`/`.mjs` file, or a zip whose root holds `index.mjs`
 * (or `index.js`). The module exports `load(dir, helpers)` returning `{ infer(table) }`; it may
 * export `cpuHeavy = true` to run in a worker thread. Shared by the in-process session and the
 * thread that runs a CPU-heavy module.
 */
import { copyFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as arrow from 'apache-arrow'
import { errorMessage } from '../../errors.js'

/** What `load` receives beside its folder: the Arrow library the tables it gets come from. */
export interface JsModelHelpers {
  arrow: typeof arrow
}

export interface JsModel {
  infer(table: arrow.Table): unknown
  close?(): unknown
}

export interface JsModuleExports {
  load?: unknown
  cpuHeavy?: unknown
}

/** A problem with the module itself (no `load`, a throwing `load`): the upload is refused. */
export class JsModelError extends Error {}

const ENTRY_NAMES = ['index.mjs', 'index.js']

/** The folder `load` receives and the module file inside it. */
export interface JsEntry {
  dir: string
  file: string
  /** Set for a folder made for this load, removed when the session closes. */
  temporary?: boolean
}

/** A single module is copied beside a `package.json` of type module, so `.js` loads as ES module. */
export async function singleFileEntry(artifact: string, fileName: string): Promise<JsEntry> {
  const workDir = await mkdtemp(join(tmpdir(), 'quiver-js-'))
  const name = fileName.endsWith('.mjs') ? 'index.mjs' : 'index.js'
  const file = join(workDir, name)
  await writeFile(join(workDir, 'package.json'), '{"type":"module"}\n')
  await copyFile(artifact, file)
  return { dir: workDir, file, temporary: true }
}

export async function archiveEntry(dir: string, fileName: string): Promise<JsEntry> {
  for (const name of ENTRY_NAMES) {
    const file = join(dir, name)
    if ((await stat(file).catch(() => null))?.isFile()) {
      if (name === 'index.js') await writeFile(join(dir, 'package.json'), '{"type":"module"}\n', { flag: 'wx' }).catch(() => {})
      return { dir, file }
    }
  }
  const found = (await readdir(dir).catch(() => [])).slice(0, 10)
  throw new JsModelError(`${fileName} has no index.mjs at its root (found: ${found.join(', ') || 'nothing'})`)
}

export async function importModule(entry: JsEntry): Promise<JsModuleExports> {
  try {
    return (await import(pathToFileURL(entry.file).href)) as JsModuleExports
  } catch (err) {
    throw new JsModelError(`its module could not be imported: ${errorMessage(err)}`)
  }
}

/** Calls the module's `load(dir, helpers)` and checks that it gave a model with `infer`. */
export async function loadModule(mod: JsModuleExports, dir: string): Promise<JsModel> {
  if (typeof mod.load !== 'function') {
    const exported = Object.keys(mod).filter((k) => k !== 'default')
    throw new JsModelError(`its module exports no function load(dir) (exports: ${exported.join(', ') || 'none'})`)
  }
  let model: unknown
  try {
    model = await (mod.load as (dir: string, helpers: JsModelHelpers) => unknown)(dir, { arrow })
  } catch (err) {
    throw new JsModelError(`load(dir) threw: ${errorMessage(err)}`)
  }
  if (typeof model !== 'object' || model === null || typeof (model as JsModel).infer !== 'function') {
    throw new JsModelError(`load(dir) returned ${model === null ? 'null' : typeof model}, not an object with an infer(table) method`)
  }
  return model as JsModel
}

export function isCpuHeavy(mod: JsModuleExports): boolean {
  return mod.cpuHeavy === true
}

export async function removeEntry(entry: JsEntry): Promise<void> {
  if (entry.temporary) await rm(entry.dir, { recursive: true, force: true })
}
