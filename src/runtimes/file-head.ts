import { open } from 'node:fs/promises'

/** The first `n` bytes of a file (fewer when it is shorter), for telling formats apart by their magic numbers. */
export async function readHead(path: string, n: number): Promise<Buffer> {
  const file = await open(path, 'r')
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await file.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}
