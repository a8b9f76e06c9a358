import { spawn } from 'node:child_process'
import { packagePath } from '../package-path.js'
import type { VersionRecord } from '../records/version-record.js'

const BIN = packagePath('bin/quiver')

/**
 * Starts `quiver convert` in its own detached process, for an embedded `--no-wait` upload: the
 * uploading command returns at once and the conversion runs once the home folder is free.
 * Returns the child's pid (undefined when it could not be started).
 */
export function spawnDetachedConversion(home: string, v: VersionRecord, tags: readonly string[]): number | undefined {
  const args = [BIN, '--home', home, '--workspace', v.workspace, 'convert', `${v.name}:${v.version}`]
  for (const t of tags) args.push('--tag', t)
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', env: process.env })
  child.on('error', () => {})
  child.unref()
  return child.pid
}
