import type { Table } from 'apache-arrow'
import { errorMessage, Unsupported } from '../errors.js'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { ConcurrencyLimits } from '../pipelines/concurrency.js'
import { InferencePath } from '../pipelines/inference-path.js'
import { InferenceLogs } from '../pipelines/logs/inference-logs.js'
import { Pipelines } from '../pipelines/pipelines.js'
import { PipelineRegistry } from '../registry/pipeline-registry.js'
import { isFinal } from '../registry/status.js'
import { parseRef } from '../registry/refs.js'
import { DEFAULT_WORKSPACE, Registry } from '../registry/registry.js'
import type { ModelSummary, VersionRecord } from '../records/version-record.js'
import { Runtimes } from '../runtimes/runtime-table.js'
import type { MetadataStore } from '../store/store.js'
import { SqlMetadataStore } from '../store/sql-store.js'
import { SqlFeatureSetStore } from '../store/sql-feature-set-store.js'
import { SqlPipelineStore } from '../store/sql-pipeline-store.js'
import { SqlTokenStore } from '../store/sql-token-store.js'
import type { AuthApi } from './auth-api.js'
import { LocalAuthApi } from './local-auth-api.js'
import { SqlConversionClaims } from '../store/sql-conversion-claims.js'
import { failAbandonedVersions, type Abandoned } from './interrupted-conversions.js'
import { LocalFeatureApi } from './local-feature-api.js'
import { followChanges } from './change-follower.js'
import { conversionCancelled, conversionPending, CONVERT_JOB, convertJobHandler, enqueueConversion } from './conversion-jobs.js'
import { JobWorker, type JobHandler, type JobWorkerOptions } from '../jobs/job-worker.js'
import { SqlJobQueue } from '../jobs/sql-job-queue.js'
import { LocalEvaluationApi } from './local-evaluation-api.js'
import { LocalTrainingApi } from './local-training-api.js'
import { LocalJobsApi } from './local-jobs-api.js'
import { workJobHandlers, type WorkJobDeps } from './work-jobs.js'
import { SqlSuiteStore } from '../store/sql-suite-store.js'
import { convertVersion, uploadModel } from './model-upload.js'
import type { ArtifactDownload, ConvertOptions, InferInput, QuiverApi, ScopeOptions, UploadRequest } from './quiver-api.js'
import { LocalRegistryApi } from './local-registry-api.js'

export interface LocalQuiverDeps {
  store: MetadataStore
  artifacts: ArtifactStore
  runtimes?: Runtimes
  /** Bounds concurrent model executions (defaults: 64 running, 4096 waiting). */
  concurrency?: Partial<ConcurrencyLimits>
  /** Where pipeline inference logs are written (`<home>/logs`); absent → not logged. */
  logsDir?: string
  /** Where the embedded online feature store keeps its files (`<home>/online`); absent → in memory. */
  onlineDir?: string
  /** How often deployed pipelines re-resolve tags moved by other processes (default 5 s). */
  followMs?: number
}

export interface StartJobsOptions {
  /** Lease of a job this process holds (default 30 s); another worker retakes it once it runs out. */
  leaseMs?: number
  /**
   * Only jobs queued so far, run when `close()` is called (or something waits for a job): a one-shot
   * command runs what earlier commands left once its own work is done, never what it queues itself.
   */
  maxJobId?: number
  /** Jobs run at once (default 1). */
  concurrency?: number
  onError?: (err: unknown) => void
  onJob?: JobWorkerOptions['onJob']
}

/** The core, in process: wires the registry, artifact store, runtimes and the inference path. */
export class LocalQuiverApi implements QuiverApi {
  readonly registry: Registry
  readonly artifacts: ArtifactStore
  readonly runtimes: Runtimes
  readonly inference: InferencePath
  readonly #store: MetadataStore
  #features?: LocalFeatureApi
  #auth?: LocalAuthApi
  #evaluation?: LocalEvaluationApi
  #training?: LocalTrainingApi
  #pipelines?: Pipelines
  #registries?: LocalRegistryApi
  #jobs?: LocalJobsApi
  readonly #logsDir?: string
  readonly #onlineDir?: string
  readonly #followMs?: number
  readonly #background = new Set<Promise<unknown>>()
  readonly claims?: SqlConversionClaims
  #orphansSwept = false
  #changes?: Promise<{ close(): Promise<void> } | null>
  /** Set once this process takes jobs. */
  #worker?: JobWorker
  #workerFinishes = false
  #queue?: SqlJobQueue

  constructor(deps: LocalQuiverDeps) {
    this.registry = new Registry(deps.store)
    this.#store = deps.store
    this.artifacts = deps.artifacts
    this.runtimes = deps.runtimes ?? new Runtimes()
    this.inference = new InferencePath({ registry: this.registry, artifacts: this.artifacts, runtimes: this.runtimes, concurrency: deps.concurrency })
    this.#logsDir = deps.logsDir
    this.#onlineDir = deps.onlineDir
    this.#followMs = deps.followMs
    if (deps.store instanceof SqlMetadataStore) this.claims = new SqlConversionClaims(deps.store.driver)
  }

  /**
   * Moves versions left unfinished by processes that died to `error`, saying which process left
   * them. Safe on a shared PostgreSQL: versions whose owner is alive, or on another host with a
   * fresh heartbeat, are left alone.
   */
  async failAbandonedVersions(opts: { staleMs?: number } = {}): Promise<Abandoned[]> {
    if (!(this.#store instanceof SqlMetadataStore) || !this.claims) return []
    const exclusive = this.#store.kind === 'pglite'
    const queue = this.#jobQueue()
    const failed = await failAbandonedVersions(this.claims, {
      exclusive, staleMs: opts.staleMs, stillPending: queue ? (id) => conversionPending(queue, id) : undefined,
    })
    // A holder that died between storing a blob and recording its version left the blob behind;
    // with the home locked no upload of another process can be at that point now.
    if (exclusive && this.#store.driver.previousHolderDied && !this.#orphansSwept) {
      this.#orphansSwept = true
      // Files of queued jobs (a training's trainer and training set) are kept for them.
      const jobInputs = (await queue?.activeBlobs()) ?? new Set<string>()
      for (const sha of await this.artifacts.listBlobs()) {
        if (!jobInputs.has(sha) && (await this.registry.blobReferences(sha)) === 0) await this.artifacts.delete(sha)
      }
    }
    return failed
  }

  /**
   * On a database other processes share (PostgreSQL): follows their tag moves, deploys, swaps,
   * undeploys and token revocations through the change feed, dropping what this process cached.
   * Resolves false when the database has no feed (embedded: one process holds the home).
   */
  async followChanges(onState?: (state: 'connected' | 'disconnected', err?: unknown) => void): Promise<boolean> {
    const driver = this.#store instanceof SqlMetadataStore ? this.#store.driver : null
    if (!driver?.listen) return false
    const listen = driver.listen.bind(driver)
    this.#changes ??= followChanges({ listen }, {
      refsChanged: () => this.inference.forgetMovingRefs(),
      deploymentsChanged: () => this.#pipelines?.followStore(),
      tokensChanged: () => this.#auth?.forgetChecks(),
    }, onState)
    return (await this.#changes) !== null
  }

  /** Whether the metadata store is the embedded one (PGlite, one process holding the home). */
  get embedded(): boolean {
    return this.#store instanceof SqlMetadataStore && this.#store.kind === 'pglite'
  }

  /** The job queue in the metadata database; none on a store without SQL. */
  #jobQueue(): SqlJobQueue | undefined {
    if (!this.#queue && this.#store instanceof SqlMetadataStore) this.#queue = new SqlJobQueue(this.#store.driver)
    return this.#queue
  }

  /** What each kind of job runs. */
  #jobHandlers(): Record<string, JobHandler> {
    return {
      [CONVERT_JOB]: convertJobHandler(this, (v) => this.#modelMoved(v.workspace, v.name)),
      ...workJobHandlers(this.#workJobDeps(this.#jobQueue()!)),
    }
  }

  #workJobDeps(queue: SqlJobQueue): WorkJobDeps {
    return {
      queue, artifacts: this.artifacts, apis: this,
      blobReferences: (sha) => this.registry.blobReferences(sha),
    }
  }

  /**
   * Embedded: the holder of the home takes over the jobs its dead predecessor was running (they
   * are queued again, or failed when out of attempts). Call once, right after opening.
   */
  async recoverJobsOfDeadHolder(): Promise<number[]> {
    const queue = this.#jobQueue()
    if (!queue || !this.embedded) return []
    return queue.sweepDead({ everyRunning: true })
  }

  /** The highest job id so far (what `maxJobId` of `startJobs` bounds). */
  async lastJobId(): Promise<number> {
    return (await this.#jobQueue()?.lastId()) ?? 0
  }

  /**
   * Takes jobs (conversions …) from the queue and runs them in this process: on PostgreSQL those
   * any replica enqueued, embedded those of the home. With `maxJobId`, `close()` runs every
   * runnable job up to it first. False without a SQL store.
   */
  startJobs(opts: StartJobsOptions = {}): boolean {
    const queue = this.#jobQueue()
    if (!queue) return false
    this.#workerFinishes = opts.maxJobId !== undefined
    this.#worker ??= new JobWorker({
      queue, leaseMs: opts.leaseMs, onError: opts.onError, onJob: opts.onJob, maxJobId: opts.maxJobId,
      concurrency: opts.concurrency, handlers: this.#jobHandlers(),
    })
    if (!this.#workerFinishes) this.#worker.start()
    return true
  }

  /**
   * Stops taking jobs: with `drain` the running ones finish (within `graceMs`, else they go back
   * to the queue at once for another worker); without, they are aborted.
   */
  async stopJobs(opts: { drain: boolean; graceMs?: number }): Promise<void> {
    await this.#worker?.stop(opts)
  }

  /** Pipelines and deployments over the same database; opened on first use. */
  get pipelines(): Pipelines {
    this.#pipelines ??= new Pipelines({
      registry: this.registry,
      pipelines: new PipelineRegistry(new SqlPipelineStore(this.#sqlDriver('pipelines'))),
      artifacts: this.artifacts,
      runtimes: this.runtimes,
      guard: this.inference.guard,
      logs: this.#logsDir ? new InferenceLogs(this.#logsDir) : null,
      followMs: this.#followMs,
    })
    return this.#pipelines
  }

  /** After a tag move or a new version: references resolve afresh and deployments following them switch. */
  async #modelMoved(workspace: string, name: string, progress?: (m: string) => void): Promise<void> {
    this.inference.forgetModel(workspace, name)
    for (const kept of (await this.#pipelines?.modelMoved(workspace, name)) ?? []) progress?.(kept)
  }

  /** Loaded sessions by version id (uploads hand theirs over, so the first inference loads nothing). */
  get sessions() {
    return this.inference.sessions
  }

  /** Feature sets over the same database; opened on first use. */
  get features(): LocalFeatureApi {
    if (!this.#features) {
      this.#features = new LocalFeatureApi({
        store: new SqlFeatureSetStore(this.#sqlDriver('feature sets')), registry: this.registry, inference: this.inference, onlineDir: this.#onlineDir,
      })
    }
    return this.#features
  }

  /** Test suites and evaluations over the same database; opened on first use. */
  get evaluation(): LocalEvaluationApi {
    this.#evaluation ??= new LocalEvaluationApi({
      store: new SqlSuiteStore(this.#sqlDriver('test suites')), artifacts: this.artifacts, registry: this.registry,
      inference: this.inference, tag: (ref, tag, workspace) => this.tag(ref, tag, { workspace }),
    })
    return this.#evaluation
  }

  /** Training through the upload path; lineage in the same database. */
  get training(): LocalTrainingApi {
    this.#training ??= new LocalTrainingApi({
      upload: (req) => this.uploadModel(req), lineage: new SqlFeatureSetStore(this.#sqlDriver('lineage')), features: this.features,
    })
    return this.#training
  }

  /** The job queue seen from a workspace. */
  get jobs(): LocalJobsApi {
    const queue = this.#jobQueue()
    if (!queue) throw new Unsupported('jobs need the SQL metadata store')
    this.#jobs ??= new LocalJobsApi(queue, {
      beforeWait: () => this.#worker?.start(),
      cancelled: (job) => conversionCancelled(this.registry, job),
      enqueued: () => this.#worker?.wake(),
    }, this.#workJobDeps(queue))
    return this.#jobs
  }

  /** API tokens in the same database. */
  get auth(): AuthApi {
    this.#auth ??= new LocalAuthApi(new SqlTokenStore(this.#sqlDriver('API tokens')))
    return this.#auth
  }

  /** Other registries, kept in the same database. */
  get registries(): LocalRegistryApi {
    this.#registries ??= new LocalRegistryApi(this.#sqlDriver('registries'), (req) => this.uploadModel(req))
    return this.#registries
  }

  async downloadArtifact(ref: string, opts: ScopeOptions = {}): Promise<ArtifactDownload> {
    const version = await this.registry.resolve(ref, opts.workspace)
    return { version, stream: (await this.artifacts.open(version.sha256)) as AsyncIterable<Uint8Array> }
  }

  #sqlDriver(what: string) {
    if (!(this.#store instanceof SqlMetadataStore)) throw new Unsupported(`${what} need the SQL metadata store`)
    return this.#store.driver
  }

  convertLater(version: VersionRecord, tags: readonly string[], progress: (m: string) => void): void {
    const queue = this.#jobQueue()
    if (queue) {
      this.#track(enqueueConversion(queue, version, tags).then(
        (job) => {
          progress(`conversion queued as job ${job.id}`)
          this.#worker?.wake()
        },
        (err) => this.registry.moveStatus(version, 'error', { error_message: `conversion could not be queued: ${errorMessage(err)}` }).then(() => {}, () => {}),
      ))
      return
    }
    const work = convertVersion(this, version, tags, progress)
      .then((v) => this.#modelMoved(v.workspace, v.name))
      .catch(() => {})
    this.#track(work)
  }

  /** Work that `close()` waits for. */
  #track(work: Promise<unknown>): void {
    this.#background.add(work)
    void work.finally(() => this.#background.delete(work))
  }

  async uploadModel(req: UploadRequest): Promise<VersionRecord> {
    const v = await uploadModel(this, req)
    await this.#modelMoved(v.workspace, v.name, req.onProgress)
    return v
  }

  async convertPending(ref: string, opts: ConvertOptions = {}): Promise<VersionRecord> {
    const v = await this.registry.resolve(ref, opts.workspace)
    if (v.status !== 'pending_conversion') return v
    const result = await convertVersion(this, v, opts.tags ?? [], opts.onProgress ?? (() => {}))
    await this.#modelMoved(v.workspace, v.name)
    return result
  }

  listModels(opts: ScopeOptions = {}): Promise<ModelSummary[]> {
    return this.registry.listModels(opts.workspace)
  }

  listVersions(name: string, opts: ScopeOptions = {}): Promise<VersionRecord[]> {
    return this.registry.listVersions(name, opts.workspace)
  }

  getVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.registry.resolve(ref, opts.workspace)
  }

  async waitForVersion(ref: string, opts: ScopeOptions & { timeoutMs?: number } = {}): Promise<VersionRecord> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000)
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const v = await this.registry.resolve(ref, opts.workspace)
      if (isFinal(v.status)) return v
      if (Date.now() > deadline) return v
      await new Promise((r) => setTimeout(r, delay))
    }
  }

  async tag(ref: string, tag: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    if (this.#pipelines) {
      const target = await this.registry.resolve(ref, opts.workspace)
      await this.#pipelines.checkTagMove(target.workspace, tag, target)
    }
    const v = await this.registry.tag(ref, tag, opts.workspace)
    await this.#modelMoved(v.workspace, v.name)
    return v
  }

  async untag(name: string, tag: string, opts: ScopeOptions = {}): Promise<void> {
    await this.registry.untag(name, tag, opts.workspace)
    const parsed = parseRef(name)
    await this.#modelMoved(parsed.workspace ?? opts.workspace ?? DEFAULT_WORKSPACE, parsed.name)
  }

  infer(ref: string, input: InferInput, opts: ScopeOptions = {}): Promise<Table> {
    return this.inference.infer(ref, input, opts.workspace)
  }

  readyVersion(ref: string, opts: ScopeOptions = {}): Promise<VersionRecord> {
    return this.inference.readyVersion(ref, opts.workspace)
  }

  inferVersion(version: VersionRecord, input: InferInput): Promise<Table> {
    return this.inference.inferVersion(version, input)
  }

  async close(): Promise<void> {
    await (await this.#changes?.catch(() => null))?.close()
    // Enqueued before the worker finishes, so that a one-shot command never leaves its own job half queued.
    await Promise.allSettled([...this.#background])
    if (this.#workerFinishes) await this.#worker?.finishRunnable()
    else await this.#worker?.stop({ drain: true })
    await this.#pipelines?.close()
    await this.#features?.close()
    await this.inference.close()
    await this.runtimes.dispose()
    await this.registry.close()
  }
}
