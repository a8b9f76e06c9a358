import { resolve } from 'node:path'

/** The embedded home when none is given: `$QUIVER_HOME`, else `./.quiver`. */
export function defaultHome(): string {
  return resolve(process.env.QUIVER_HOME ?? '.quiver')
}
