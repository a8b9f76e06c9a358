/** The symbolic values the pickle scanner keeps on its stack and memo in place of real objects. */

export type Value =
  | { k: 'str'; v: string }
  | { k: 'int'; v: number }
  | { k: 'none' }
  | { k: 'tuple' | 'list'; items: Value[] }
  | { k: 'dict'; entries: [Value, Value][] }
  | GlobalValue
  | { k: 'obj'; cls: string; args: Value; state: Value | null }
  | { k: 'mark' }
  | { k: 'other' }

/** An imported global; `at` is the byte offset of the opcode that imported it. */
export interface GlobalValue {
  k: 'global'
  module: string
  name: string
  full: string
  at: number
}

export const OTHER: Value = { k: 'other' }
export const NONE: Value = { k: 'none' }
export const MARK: Value = { k: 'mark' }

export function isGlobal(v: Value): v is GlobalValue {
  return v.k === 'global'
}

/** The value stored under string key `name` in a dict value (the last one wins, as in Python). */
export function field(v: Value | null | undefined, name: string): Value | undefined {
  if (!v || v.k !== 'dict') return undefined
  for (let i = v.entries.length - 1; i >= 0; i--) {
    const [key, value] = v.entries[i]!
    if (key.k === 'str' && key.v === name) return value
  }
  return undefined
}

/** Why the scanner refuses a pickle: the reason, the byte offset of the opcode, the global involved. */
export class ScanRefusal extends Error {
  readonly offset: number | null
  readonly global: string | null
  constructor(message: string, offset: number | null, global?: string) {
    super(message)
    this.offset = offset
    this.global = global ?? null
  }
}
