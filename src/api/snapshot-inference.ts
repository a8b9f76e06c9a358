import type { Table } from 'apache-arrow'
import { openArtifactStore } from '../artifacts/open-artifacts.js'
import type { InferInput } from '../data/infer-input.js'
import { InferencePath } from '../pipelines/inference-path.js'
import { Runtimes } from '../runtimes/runtime-table.js'
import { readResolvedVersion } from './resolved-snapshot.js'

/**
 * Runs `ref` on `input` through the inference path with the version read from the home's
 * resolved snapshot, without opening the database; null when there is no current snapshot.
 */
export async function inferFromSnapshot(home: string, workspace: string | undefined, ref: string, input: InferInput): Promise<Table | null> {
  const version = await readResolvedVersion(home, workspace, ref)
  if (!version) return null
  const runtimes = new Runtimes()
  const path = new InferencePath({ registry: { resolveReady: async () => version }, artifacts: openArtifactStore({ home }), runtimes })
  try {
    return await path.inferVersion(version, input)
  } finally {
    await path.close()
    await runtimes.dispose()
  }
}
