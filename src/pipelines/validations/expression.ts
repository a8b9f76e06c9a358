/**
 * The syntax tree of a validation expression. `pos` is the 1-based character position in the
 * source, so errors can point at the offending token.
 */
export type Scope = 'in' | 'out'

export type BinaryOp = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%'
export type UnaryOp = 'not' | '-'

export type Expr =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'bool'; value: boolean; pos: number }
  | { kind: 'field'; scope: Scope; name: string; indices: number[]; pos: number }
  | { kind: 'unary'; op: UnaryOp; arg: Expr; pos: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: number }

/** A field reference as written: `out.probs[1]`, with back-quotes around names that need them. */
export function fieldLabel(e: { scope: Scope; name: string; indices: readonly number[] }): string {
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name) ? e.name : `\`${e.name}\``
  return `${e.scope}.${name}${e.indices.map((i) => `[${i}]`).join('')}`
}
