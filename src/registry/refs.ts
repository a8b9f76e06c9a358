import { InvalidInput } from '../errors.js'
import type { VersionSelector } from '../store/store.js'
import { assertValidName } from './names.js'

/** A parsed model reference (SPEC §1): `name`, `name@TAG`, `name:UUID`, `name#SEQ`, `ws/…`. */
export interface ModelRef {
  workspace: string | null
  name: string
  selector: VersionSelector
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function parseRef(ref: string): ModelRef {
  let rest = ref.trim()
  let workspace: string | null = null
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    workspace = rest.slice(0, slash)
    rest = rest.slice(slash + 1)
    assertValidName(workspace, 'workspace')
  }
  const at = rest.search(/[@:#]/)
  const name = at < 0 ? rest : rest.slice(0, at)
  assertValidName(name, 'model')
  if (at < 0) return { workspace, name, selector: { kind: 'latest' } }
  const sigil = rest[at]
  const value = rest.slice(at + 1)
  const bad = (expected: string) =>
    new InvalidInput(`invalid model reference ${JSON.stringify(ref)}: ${expected}`, { field: 'ref', got: ref, expected })
  if (sigil === '@') {
    if (!value) throw bad('a tag must follow "@"')
    return { workspace, name, selector: value === 'latest' ? { kind: 'latest' } : { kind: 'tag', tag: value } }
  }
  if (sigil === ':') {
    if (!UUID.test(value)) throw bad('a version UUID must follow ":"')
    return { workspace, name, selector: { kind: 'uuid', uuid: value.toLowerCase() } }
  }
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw bad('a version number (1, 2, …) must follow "#"')
  return { workspace, name, selector: { kind: 'seq', seq: Number(value) } }
}

export function formatSelector(name: string, s: VersionSelector): string {
  switch (s.kind) {
    case 'latest': return `${name}@latest`
    case 'tag': return `${name}@${s.tag}`
    case 'uuid': return `${name}:${s.uuid}`
    case 'seq': return `${name}#${s.seq}`
  }
}

/** Immutable refs name one version forever; `latest` and tags can move. */
export function isPinned(s: VersionSelector): boolean {
  return s.kind === 'uuid' || s.kind === 'seq'
}
