import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { DeployConfig } from '../records/pipeline-record.js'
import type { VersionRecord } from '../records/version-record.js'
import type { Runtimes } from '../runtimes/runtime-table.js'
import type { Session } from '../runtimes/runtime.js'
import { intraOpThreads } from './deploy-config.js'
import type { StepRunner } from './generation.js'
import { loadContextFor, loadModel } from './model-loader.js'
import { StepBatcher } from './step-batcher.js'

/** Loads one deployed step's sessions (as many as the deployment's replicas) behind its batcher. */
export async function loadStepRunner(
  v: VersionRecord, config: DeployConfig, key: string, deps: { runtimes: Runtimes; artifacts: ArtifactStore },
): Promise<StepRunner> {
  const tuned: VersionRecord = { ...v, config: { ...v.config, intra_op_threads: intraOpThreads(config.cpus), workers: config.replicas } }
  const load = async () => (await loadModel(tuned, deps.runtimes, loadContextFor(tuned, deps.artifacts, () => {}))).session
  const sessions: Session[] = [await load()]
  // Native sessions are replicated here; a Python session already runs `replicas` workers.
  if (v.runtime === 'native') for (let i = 1; i < config.replicas; i++) sessions.push(await load())
  let next = 0
  // A tensor-mode model has no row axis to batch along: each request runs as it came.
  const batchable = v.config.serving?.mode !== 'tensor'
  const batcher = new StepBatcher((t) => sessions[next++ % sessions.length]!.infer(t), {
    maxRows: batchable ? config.batch_max_rows : 1, delayMs: batchable ? config.batch_delay_ms : 0, concurrency: config.replicas,
  })
  return { key, batcher, sessions }
}
