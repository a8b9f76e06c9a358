import { Conflict } from '../errors.js'
import type { VersionStatus } from '../records/frameworks.js'

/** SPEC §1: pending_conversion → converting → ready | error. `error` may be retried. */
const MOVES: Record<VersionStatus, readonly VersionStatus[]> = {
  pending_conversion: ['converting', 'error'],
  converting: ['ready', 'error'],
  ready: [],
  error: ['converting'],
}

export function assertStatusMove(from: VersionStatus, to: VersionStatus, what: string): void {
  if (!MOVES[from].includes(to)) {
    throw new Conflict(`${what} cannot move from status '${from}' to '${to}'`)
  }
}

export function isFinal(s: VersionStatus): boolean {
  return s === 'ready' || s === 'error'
}
