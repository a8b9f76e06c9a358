import type { VersionRecord } from '../records/version-record.js'
import type { TrainRequest } from '../training/train-types.js'
import type { ScopeOptions } from './quiver-api.js'

export type { TrainingMetadata, TrainRequest } from '../training/train-types.js'

/** Training (SPEC §9): a trainer and a training set → a new version with metadata.training and lineage. */
export interface TrainingApi {
  /**
   * Paths are as this process sees them. Over HTTP the trainer and a `trainingSet` file are sent
   * with the request; a `spine` is read by the server.
   */
  train(req: TrainRequest, opts?: ScopeOptions): Promise<VersionRecord>
}
