import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidInput } from '../../errors.js'

export interface EntryScript {
  /** The folder the script lives in; artifacts are read relative to it. */
  root: string
  /** Absolute path of the entry `.py` file. */
  script: string
  /** `requirements.txt` beside the script, when there is one. */
  requirements: string | null
}

const PROCESS_DATA = /^def\s+process_data\s*\(/m
const BUILDER_CLASS = /^class\s+\w+\s*\([^)]*InferenceBuilder[^)]*\)\s*:/m

/**
 * Finds the one entry script at the root of an extracted model zip: for `python`, the `.py`
 * defining `process_data`; for `custom`, the `.py` defining an `InferenceBuilder` subclass.
 * Other `.py` files at the root are helper modules. A zip whose only root entry is a folder is
 * read from inside that folder (the usual result of zipping a directory).
 */
export async function findEntryScript(dir: string, framework: 'python' | 'custom', fileName: string): Promise<EntryScript> {
  let root = dir
  let entries = await visibleEntries(root)
  if (entries.length === 1 && (await stat(join(root, entries[0]!))).isDirectory()) {
    root = join(root, entries[0]!)
    entries = await visibleEntries(root)
  }
  const scripts = entries.filter((e) => e.endsWith('.py')).sort()
  const pattern = framework === 'python' ? PROCESS_DATA : BUILDER_CLASS
  const what = framework === 'python' ? 'a .py file defining process_data(input_data)' : 'a .py file defining an InferenceBuilder subclass'
  const matching: string[] = []
  for (const s of scripts) {
    if (pattern.test(await readFile(join(root, s), 'utf8'))) matching.push(s)
  }
  if (matching.length === 0) {
    const had = scripts.length ? ` (it has ${scripts.join(', ')})` : ' (it has no .py file at its root)'
    throw new InvalidInput(`${fileName} needs ${what} at its root${had}`, { field: 'file_name', expected: what })
  }
  if (matching.length > 1) {
    throw new InvalidInput(`${fileName} has ${matching.length} entry points (${matching.join(', ')}); keep exactly one ${what.slice(2)} at its root`, { field: 'file_name' })
  }
  const requirements = entries.includes('requirements.txt') ? join(root, 'requirements.txt') : null
  return { root, script: join(root, matching[0]!), requirements }
}

async function visibleEntries(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((e) => !e.startsWith('.') && e !== '__MACOSX' && e !== '__pycache__')
}
