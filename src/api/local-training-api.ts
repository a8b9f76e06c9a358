import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidInput } from '../errors.js'
import type { VersionRecord } from '../records/version-record.js'
import { runPythonTrainer } from '../runtimes/python/trainer-process.js'
import type { FeatureSetStore } from '../store/feature-set-store.js'
import { train } from '../training/train.js'
import type { TrainRequest } from '../training/train-types.js'
import type { FeatureApi } from './feature-api.js'
import type { ScopeOptions, UploadRequest } from './quiver-api.js'
import type { TrainingApi } from './training-api.js'

export interface LocalTrainingDeps {
  upload(req: UploadRequest): Promise<VersionRecord>
  lineage: FeatureSetStore
  features: FeatureApi
}

/** Training in process: Python trainers in the sandboxed trainer process, registration through the upload path. */
export class LocalTrainingApi implements TrainingApi {
  readonly #deps: LocalTrainingDeps

  constructor(deps: LocalTrainingDeps) {
    this.#deps = deps
  }

  async train(req: TrainRequest, opts: ScopeOptions = {}): Promise<VersionRecord> {
    let trainingSet = req.trainingSet
    if (req.spine) {
      if (req.trainingSet) throw new InvalidInput('give either --training-set or --spine with --features, not both', { field: 'training-set' })
      if (!req.features?.length) throw new InvalidInput('--spine needs --features SET.F,... (the features to look up as of each spine row)', { field: 'features' })
      const dir = join(tmpdir(), 'quiver-training-sets')
      await mkdir(dir, { recursive: true })
      // Named by what it is built from, so the same training set is one node of the lineage however often it is built.
      const digest = createHash('sha256').update(await readFile(req.spine).catch(() => { throw new InvalidInput(`spine ${req.spine} does not exist or cannot be read`, { field: 'spine', got: req.spine }) })).update(JSON.stringify([req.features, req.label ?? null, req.window ?? null])).digest('hex')
      trainingSet = join(dir, `training-set-${digest.slice(0, 16)}.parquet`)
      req.onProgress?.(`building the point-in-time training set from ${req.spine}`)
      await this.#deps.features.trainingSet({ spine: req.spine, features: req.features, label: req.label, window: req.window, output: trainingSet }, opts)
    }
    return train({
      runPython: (r) => runPythonTrainer(r),
      register: (r) => this.#deps.upload({
        name: r.name, source: { path: r.path }, framework: r.framework, workspace: opts.workspace, inputSchema: r.inputSchema,
        outputSchema: r.outputSchema, tags: r.tags, metadata: r.metadata, onProgress: r.onProgress,
      }),
      addLineage: (edges) => this.#deps.lineage.addLineage(edges),
    }, { ...req, trainingSet })
  }
}
