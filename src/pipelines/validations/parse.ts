/**
 * Recursive-descent parser for validation expressions. Precedence, loosest first:
 * `or` < `and` < `not` < comparisons (non-associative) < `+ -` < `* / %` < unary `-` < field
 * references, literals and parentheses.
 */
import { InvalidInput } from '../../errors.js'
import type { BinaryOp, Expr, Scope } from './expression.js'
import { tokenize, type Token } from './tokens.js'

const COMPARISONS = ['==', '!=', '<', '<=', '>', '>=']
const MAX_DEPTH = 64
const MAX_LENGTH = 4096

export function parseExpression(source: string): Expr {
  if (source.length > MAX_LENGTH) throw new InvalidInput(`expression is ${source.length} characters long; at most ${MAX_LENGTH} are allowed`)
  return new Parser(tokenize(source)).parseAll()
}

class Parser {
  private at = 0
  private depth = 0
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Expr {
    if (this.peek().kind === 'end') this.fail('empty expression; expected a condition such as out.score > 0.9', this.peek())
    const e = this.or()
    const t = this.peek()
    if (t.kind !== 'end') this.fail(`unexpected ${describe(t)} after a complete expression`, t)
    return e
  }

  private or(): Expr {
    let left = this.and()
    while (this.isKeyword('or')) {
      const pos = this.next().pos
      left = { kind: 'binary', op: 'or', left, right: this.and(), pos }
    }
    return left
  }

  private and(): Expr {
    let left = this.not()
    while (this.isKeyword('and')) {
      const pos = this.next().pos
      left = { kind: 'binary', op: 'and', left, right: this.not(), pos }
    }
    return left
  }

  private not(): Expr {
    if (this.isKeyword('not')) {
      const pos = this.next().pos
      return this.nested(() => ({ kind: 'unary', op: 'not', arg: this.not(), pos }))
    }
    return this.comparison()
  }

  private comparison(): Expr {
    const left = this.additive()
    if (!this.isOp(...COMPARISONS)) return left
    const t = this.next()
    const right = this.additive()
    if (this.isOp(...COMPARISONS)) {
      this.fail(`comparisons do not chain; write 'a < b and b < c' instead of 'a < b < c'`, this.peek())
    }
    return { kind: 'binary', op: t.kind === 'op' ? (t.value as BinaryOp) : '==', left, right, pos: t.pos }
  }

  private additive(): Expr {
    let left = this.multiplicative()
    while (this.isOp('+', '-')) {
      const t = this.next() as Token & { value: BinaryOp }
      left = { kind: 'binary', op: t.value, left, right: this.multiplicative(), pos: t.pos }
    }
    return left
  }

  private multiplicative(): Expr {
    let left = this.unary()
    while (this.isOp('*', '/', '%')) {
      const t = this.next() as Token & { value: BinaryOp }
      left = { kind: 'binary', op: t.value, left, right: this.unary(), pos: t.pos }
    }
    return left
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      const pos = this.next().pos
      return this.nested(() => ({ kind: 'unary', op: '-', arg: this.unary(), pos }))
    }
    return this.primary()
  }

  private primary(): Expr {
    const t = this.next()
    switch (t.kind) {
      case 'number':
        if (Number.isInteger(t.value) && !Number.isSafeInteger(t.value)) {
          this.fail(`number ${t.text} is past 2^53 and cannot be compared exactly`, t)
        }
        return { kind: 'number', value: t.value, pos: t.pos }
      case 'string':
        return { kind: 'string', value: t.value, pos: t.pos }
      case 'op':
        if (t.value === '(') {
          const e = this.nested(() => this.or())
          this.expectOp(')', 'to close the parenthesis')
          return e
        }
        return this.fail(`unexpected ${describe(t)}; expected a value, a field such as out.score, or '('`, t)
      case 'name':
        if (!t.quoted && (t.value === 'true' || t.value === 'false')) return { kind: 'bool', value: t.value === 'true', pos: t.pos }
        if (!t.quoted && (t.value === 'in' || t.value === 'out')) return this.field(t.value, t.pos)
        return this.fail(`unknown name '${t.value}'; fields are written in.NAME or out.NAME`, t)
      case 'end':
        return this.fail('expression ends early; expected a value', t)
    }
  }

  private field(scope: Scope, pos: number): Expr {
    this.expectOp('.', `after '${scope}' (fields are written ${scope}.NAME)`)
    const n = this.next()
    if (n.kind !== 'name') {
      this.fail(`expected a field name after '${scope}.', got ${describe(n)}`, n)
    }
    const indices: number[] = []
    while (this.isOp('[')) {
      this.next()
      const i = this.next()
      if (i.kind !== 'number' || !Number.isSafeInteger(i.value) || i.value < 0 || i.text.includes('.') || /e/i.test(i.text)) {
        this.fail(`a list index must be a whole number 0 or above, got ${describe(i)}`, i)
      }
      indices.push((i as { value: number }).value)
      this.expectOp(']', 'to close the index')
    }
    return { kind: 'field', scope, name: (n as { value: string }).value, indices, pos }
  }

  private nested(parse: () => Expr): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nests deeper than ${MAX_DEPTH} levels`, this.peek())
    try { return parse() } finally { this.depth-- }
  }

  private peek(): Token { return this.tokens[this.at]! }
  private next(): Token {
    const t = this.tokens[this.at]!
    if (t.kind !== 'end') this.at++
    return t
  }
  private isKeyword(word: string): boolean {
    const t = this.peek()
    return t.kind === 'name' && !t.quoted && t.value === word
  }
  private isOp(...ops: string[]): boolean {
    const t = this.peek()
    return t.kind === 'op' && ops.includes(t.value)
  }
  private expectOp(op: string, why: string): void {
    const t = this.next()
    if (t.kind !== 'op' || t.value !== op) this.fail(`expected '${op}' ${why}, got ${describe(t)}`, t)
  }
  private fail(message: string, t: Token): never {
    throw new InvalidInput(`${message} (at position ${t.pos})`, { position: t.pos })
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'number': return `number ${t.text}`
    case 'string': return `string ${JSON.stringify(t.value)}`
    case 'name': return `'${t.value}'`
    case 'op': return `'${t.value}'`
    case 'end': return 'the end of the expression'
  }
}
