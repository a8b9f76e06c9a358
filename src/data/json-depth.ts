/**
 * Nesting depth of JSON text, measured on the text before it is parsed: `JSON.parse` itself copes
 * with deep documents, but every recursive walk after it (column building, validation, error
 * messages) would overflow the stack on 20,000 levels.
 */
import { inputLimits, limitExceeded } from './input-limits.js'

/** The deepest nesting of arrays and objects in `text` (0 for a scalar); strings are skipped. */
export function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c) i++
        else if (d === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return max
}

/** Refuses JSON text nested deeper than the limit (InvalidInput naming `what` and both depths). */
export function checkJsonDepth(text: string, what: string, max = inputLimits().maxJsonDepth): void {
  const depth = jsonDepth(text)
  if (depth > max) throw limitExceeded(what, 'maxJsonDepth', max, depth)
}
