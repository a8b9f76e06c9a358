/**
 * The exact `module` + `qualname` pairs a model pickle may import without `--trust`, read from
 * worker/safe_globals.json (written by scripts/safe-globals.py). The worker's restricted
 * unpickler reads the same file, so a name is checked by the scanner and again at load time.
 */
import { readFileSync } from 'node:fs'
import { packagePath } from '../../package-path.js'

export const SAFE_GLOBALS_FILE = packagePath('src/runtimes/python/worker/safe_globals.json')

/** How a listed global may be used: called with any arguments, or only created without its constructor. */
export type GlobalUse = 'call' | 'new'

interface SafeGlobalsDoc {
  call: Record<string, string[]>
  new: Record<string, string[]>
  py2_names: Record<string, string>
  py2_modules: Record<string, string>
}

let loaded: { uses: Map<string, GlobalUse>; doc: SafeGlobalsDoc } | null = null

function list(): { uses: Map<string, GlobalUse>; doc: SafeGlobalsDoc } {
  if (loaded) return loaded
  const doc = JSON.parse(readFileSync(SAFE_GLOBALS_FILE, 'utf8')) as SafeGlobalsDoc
  const uses = new Map<string, GlobalUse>()
  for (const use of ['new', 'call'] as const) {
    for (const [module, names] of Object.entries(doc[use])) for (const name of names) uses.set(`${module}\n${name}`, use)
  }
  loaded = { uses, doc }
  return loaded
}

/** How `module`.`qualname` may be used, or null when it is not on the list. */
export function safeUse(module: string, qualname: string): GlobalUse | null {
  return list().uses.get(`${module}\n${qualname}`) ?? null
}

/** The name Python's unpickler imports for a protocol 0–2 global (its fix_imports renaming). */
export function py3Name(module: string, qualname: string): [string, string] {
  const { doc } = list()
  const renamed = doc.py2_names[`${module}.${qualname}`]
  if (renamed) {
    const dot = renamed.lastIndexOf('.')
    return [renamed.slice(0, dot), renamed.slice(dot + 1)]
  }
  return [doc.py2_modules[module] ?? module, qualname]
}
