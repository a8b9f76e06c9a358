import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** Temporary names carry the writer's pid: `put-<pid>-<rand>`, `.tmp-<pid>-<rand>`. */
const TEMP_NAME_RE = /^(?:put|\.tmp)-(\d+)-[0-9a-f]+$/

/**
 * Removes temporary files and folders in `dirs` left by processes that died mid-write (a crash
 * skips the clean-up `put` and extraction do on errors). Entries of live processes are kept.
 */
export async function sweepDeadTemp(dirs: string[]): Promise<string[]> {
  const removed: string[] = []
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names) {
      const pid = TEMP_NAME_RE.exec(name)?.[1]
      if (pid === undefined || isAlive(Number(pid))) continue
      await rm(join(dir, name), { recursive: true, force: true })
      removed.push(join(dir, name))
    }
  }
  return removed
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
