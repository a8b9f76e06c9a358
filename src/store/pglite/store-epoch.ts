/**
 * The embedded store's epoch: a file in the home that every process opening the database rewrites
 * as `open:<nonce>` before it opens, and as `closed:<nonce>` once it has closed. A reading taken
 * from the store while it was closed under epoch E still holds while the file says E: no process
 * has opened the database since. A holder that dies leaves `open:…`, which matches no reading.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const STORE_EPOCH_FILE = 'store-epoch'

/** The closed epoch this process wrote last, per home (what its own readings are stamped with). */
const closedHere = new Map<string, string>()

async function writeEpoch(home: string, state: 'open' | 'closed'): Promise<string> {
  const epoch = `${state}:${randomBytes(12).toString('hex')}`
  const path = join(home, STORE_EPOCH_FILE)
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, epoch)
  await rename(temp, path)
  return epoch
}

/** Called with the home locked, before the database opens. */
export async function markStoreOpen(home: string): Promise<void> {
  closedHere.delete(home)
  await writeEpoch(home, 'open')
}

/** Called with the home still locked, after the database closed. */
export async function markStoreClosed(home: string): Promise<void> {
  closedHere.set(home, await writeEpoch(home, 'closed'))
}

/** The epoch this process's last close of `home` wrote, if it has closed it since it last opened it. */
export function epochClosedHere(home: string): string | undefined {
  return closedHere.get(home)
}

/** The home's current epoch: a `closed:` one means no process has the database open. */
export async function readStoreEpoch(home: string): Promise<string | null> {
  try {
    return (await readFile(join(home, STORE_EPOCH_FILE), 'utf8')).trim()
  } catch {
    return null
  }
}
