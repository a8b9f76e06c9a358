// Opens the embedded store of a home and holds it until told on stdin:
// `close` closes the store and exits, `exit` exits without closing.
import { createInterface } from 'node:readline'
import { openMetadataStore } from '../../../src/store/open-store.js'

const home = process.argv[2]!
process.stdout.write('opening\n')
const store = await openMetadataStore({ home, lockWaitMs: Number(process.argv[3] ?? 0) })
process.stdout.write(`ready ${process.pid}\n`)
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'close') {
    await store.close()
    process.stdout.write('closed\n')
    process.exit(0)
  }
  if (line === 'exit') process.exit(0)
}
