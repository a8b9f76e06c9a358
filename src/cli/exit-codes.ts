import { isQuiverError, type ErrorCode } from '../errors.js'

/** SPEC §5: 2 for bad usage or bad input, 1 for every other failure. The only place codes map. */
const BAD_INPUT: ReadonlySet<ErrorCode> = new Set(['invalid_input', 'not_found', 'too_large'])

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export function exitCodeFor(err: unknown): number {
  return isQuiverError(err) && BAD_INPUT.has(err.code) ? EXIT_USAGE : EXIT_FAILURE
}
