import type { ChangeFeed } from '../store/driver.js'

type Topic = Parameters<Parameters<ChangeFeed['listen']>[0]>[0]

/** What a process drops when others change the shared database. */
export interface ChangeTargets {
  /** Tags or versions changed: moving references resolve afresh. */
  refsChanged(): void
  /** Deployments, pipelines or the references they follow changed: re-read them. */
  deploymentsChanged(): void
  /** Tokens changed: checks ask the store again. */
  tokensChanged(): void
}

/** Notices closer than this are handled together: a burst of changes re-reads deployments once. */
const COALESCE_MS = 20

/**
 * Turns the change feed into cache drops. Reference caches drop at once; deployments are re-read
 * once per burst. 'resync' (a (re)connection, when notices may have been missed) drops everything.
 */
export async function followChanges(
  feed: ChangeFeed, targets: ChangeTargets, onState?: Parameters<ChangeFeed['listen']>[1],
): Promise<{ close(): Promise<void> }> {
  let pending: NodeJS.Timeout | undefined
  const deployments = () => {
    pending ??= setTimeout(() => {
      pending = undefined
      targets.deploymentsChanged()
    }, COALESCE_MS)
  }
  const handle = await feed.listen((topic: Topic) => {
    if (topic === 'tags' || topic === 'versions' || topic === 'resync') targets.refsChanged()
    if (topic === 'api_tokens' || topic === 'resync') targets.tokensChanged()
    if (topic !== 'api_tokens') deployments()
  }, onState)
  return {
    async close() {
      clearTimeout(pending)
      await handle.close()
    },
  }
}
