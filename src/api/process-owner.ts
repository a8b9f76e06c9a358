/** Who this process is, and whether a recorded process is still alive, for conversion claims. */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { ConversionOwner } from '../store/sql-conversion-claims.js'

let bootId: string | undefined

function currentBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      bootId = ''
    }
  }
  return bootId
}

/** A process's start time in clock ticks since boot (Linux), '' when it cannot be read. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may itself hold spaces and parentheses; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    return ''
  }
}

/** The owner record for process `pid` on this host (default: this process). */
export function ownerOf(pid: number = process.pid): ConversionOwner {
  return { pid, host: hostname(), bootId: currentBootId(), procStart: processStart(pid) }
}

/**
 * Whether a process on this host (same hostname and boot) is the recorded one and still runs. A
 * pid now used by another process (its start time differs) counts as gone. Null: the owner is on
 * another host, so only its heartbeat can tell.
 */
export function localOwnerAlive(o: ConversionOwner): boolean | null {
  if (o.host !== hostname()) return null
  if (o.bootId !== '' && currentBootId() !== '' && o.bootId !== currentBootId()) return false
  try {
    process.kill(o.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (o.procStart === '') return true
  const now = processStart(o.pid)
  return now === '' || now === o.procStart
}
