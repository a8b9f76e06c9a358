/**
 * Reads feature-set definitions from a `.json` file (one definition or an array) or a `.ts`/`.js`
 * module (its default export and every named export that is a definition). Relative source paths
 * become relative to the definition file.
 */
import { readFile } from 'node:fs/promises'
import { dirname, extname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { checkJsonDepth } from '../data/json-depth.js'
import { InvalidInput, errorMessage } from '../errors.js'

const looksLikeDefinition = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'name' in v && 'features' in v

async function moduleDefinitions(path: string): Promise<unknown[]> {
  let mod: Record<string, unknown>
  try {
    const { tsImport } = await import('tsx/esm/api')
    mod = await tsImport(pathToFileURL(path).href, import.meta.url) as Record<string, unknown>
  } catch (err) {
    throw new InvalidInput(`cannot load feature definitions from ${path}: ${errorMessage(err)}`, { field: 'file', got: path })
  }
  const found: unknown[] = []
  for (const value of Object.values(mod)) {
    for (const v of Array.isArray(value) ? value : [value]) if (looksLikeDefinition(v) && !found.includes(v)) found.push(v)
  }
  return found
}

async function jsonDefinitions(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8').catch((err) => {
    throw new InvalidInput(`cannot read ${path}: ${errorMessage(err)}`, { field: 'file', got: path })
  })
  let value: unknown
  checkJsonDepth(text, path)
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidInput(`${path} is not valid JSON: ${errorMessage(err)}`, { field: 'file', got: path })
  }
  return Array.isArray(value) ? value : [value]
}

export async function loadDefinitions(file: string): Promise<unknown[]> {
  const path = resolve(file)
  const ext = extname(path).toLowerCase()
  const defs = ext === '.json' ? await jsonDefinitions(path)
    : ['.ts', '.mts', '.js', '.mjs'].includes(ext) ? await moduleDefinitions(path)
    : null
  if (defs === null) throw new InvalidInput(`${file}: feature definitions are .json, .ts or .js files`, { field: 'file', got: file })
  if (defs.length === 0) throw new InvalidInput(`${file} defines no feature set`, { field: 'file', got: file })
  const base = dirname(path)
  return defs.map((d) => {
    if (!looksLikeDefinition(d)) return d
    const source = d.source as { path?: unknown } | undefined
    if (typeof source === 'object' && source !== null && typeof source.path === 'string' && !isAbsolute(source.path)) {
      return { ...d, source: { ...source, path: resolve(base, source.path) } }
    }
    if (typeof d.source === 'string' && !isAbsolute(d.source)) return { ...d, source: { path: resolve(base, d.source) } }
    return d
  })
}
