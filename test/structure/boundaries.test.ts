/**
 * DESIGN's "must not" column as a test: which room may import which, and the SDK entry point
 * reaching no native module.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'

const SRC = resolve(import.meta.dirname, '../../src')
const NATIVE = ['onnxruntime-node', '@electric-sql/pglite', 'pg', '@duckdb/node-api', 'ioredis']

/** room → rooms (first folder under src/) it must not import, type imports included. Every room has a row. */
const FORBIDDEN: Record<string, string[]> = {
  data: ['records', 'registry', 'store', 'artifacts', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli'],
  records: ['registry', 'store', 'artifacts', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli'],
  store: ['registry', 'artifacts', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli'],
  artifacts: ['store', 'records', 'registry', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli', 'data'],
  registry: ['artifacts', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli'],
  runtimes: ['store', 'registry', 'artifacts', 'pipelines', 'features', 'api', 'server', 'client', 'cli'],
  pipelines: ['store', 'features', 'api', 'server', 'client', 'cli'],
  features: ['runtimes', 'api', 'server', 'client', 'cli'],
  evaluation: ['runtimes', 'training', 'api', 'server', 'client', 'cli'],
  training: ['runtimes', 'api', 'server', 'client', 'cli'],
  api: ['server', 'client', 'cli'],
  server: ['store', 'artifacts', 'runtimes', 'cli', 'client'],
  client: ['store', 'artifacts', 'runtimes', 'registry', 'pipelines', 'features', 'server', 'cli'],
  cli: ['store', 'artifacts', 'runtimes', 'registry', 'pipelines', 'server'],
  jobs: ['records', 'registry', 'artifacts', 'runtimes', 'pipelines', 'features', 'api', 'server', 'client', 'cli', 'data'],
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(p)
    return /\.ts$/.test(e.name) ? [p] : []
  })
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    out.push((m[1] ?? m[2])!)
  }
  return out
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const p = resolve(dirname(from), spec).replace(/\.js$/, '.ts')
  return existsSync(p) ? p : null
}

const room = (file: string) => relative(SRC, file).split('/')[0]!

describe('structure', () => {
  const files = sourceFiles(SRC)

  it('has a row for every room', () => {
    const rooms = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    assert.deepEqual(rooms.filter((r) => !(r in FORBIDDEN)), [])
  })

  it('keeps every room out of the rooms DESIGN forbids it', () => {
    const violations: string[] = []
    for (const file of files) {
      const forbidden = FORBIDDEN[room(file)] ?? []
      for (const spec of specifiers(file)) {
        const target = resolveLocal(file, spec)
        if (target && forbidden.includes(room(target))) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`)
      }
    }
    assert.deepEqual(violations, [])
  })

  it('loads no native module from the SDK entry point', { skip: !existsSync(join(SRC, 'client/index.ts')) && 'src/client/index.ts does not exist yet' }, () => {
    const seen = new Set<string>()
    const natives: string[] = []
    const walk = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const spec of specifiers(file)) {
        if (NATIVE.includes(spec)) natives.push(`${relative(SRC, file)} → ${spec}`)
        const target = resolveLocal(file, spec)
        if (target) walk(target)
      }
    }
    walk(join(SRC, 'client/index.ts'))
    assert.deepEqual(natives, [])
  })
})
