import { randomUUID } from 'node:crypto'
import { NotFound } from '../errors.js'
import type { DeploymentRecord, PipelineDefinition, PipelineRecord } from '../records/pipeline-record.js'
import type { PipelineStore, StoredDeployment, StoredPipelineVersion } from '../store/pipeline-store.js'
import { assertValidName } from './names.js'
import { DEFAULT_WORKSPACE } from './registry.js'

/** Pipeline versions and deployment records: name rules over the pipeline store. */
export class PipelineRegistry {
  readonly #store: PipelineStore

  constructor(store: PipelineStore) {
    this.#store = store
  }

  async addVersion(name: string, definition: PipelineDefinition, workspace = DEFAULT_WORKSPACE): Promise<PipelineRecord> {
    assertValidName(name, 'pipeline')
    assertValidName(workspace, 'workspace')
    const stored = await this.#store.putPipelineVersion(workspace, name, randomUUID(), definition)
    return record(stored, await this.#store.getDeployment(workspace, name))
  }

  /** The newest version (or the given one); NotFound naming the pipeline otherwise. */
  async get(name: string, workspace = DEFAULT_WORKSPACE, version?: number): Promise<PipelineRecord> {
    assertValidName(name, 'pipeline')
    const stored = await this.#store.getPipelineVersion(workspace, name, version)
    if (!stored) {
      throw new NotFound(version === undefined
        ? `pipeline '${name}' does not exist in workspace '${workspace}'`
        : `pipeline '${name}' has no version ${version}`, { pipeline: name })
    }
    return record(stored, await this.#store.getDeployment(workspace, name))
  }

  async list(workspace = DEFAULT_WORKSPACE): Promise<PipelineRecord[]> {
    assertValidName(workspace, 'workspace')
    const [versions, deployments] = await Promise.all([this.#store.listPipelines(workspace), this.#store.listDeployments(workspace)])
    const byName = new Map(deployments.map((d) => [d.name, d]))
    return versions.map((v) => record(v, byName.get(v.name) ?? null))
  }

  async deploy(name: string, config: Omit<DeploymentRecord, 'deployed_at'>, workspace = DEFAULT_WORKSPACE): Promise<PipelineRecord> {
    await this.get(name, workspace)
    await this.#store.setDeployment(workspace, name, config)
    return this.get(name, workspace)
  }

  /** False when it was not deployed. */
  undeploy(name: string, workspace = DEFAULT_WORKSPACE): Promise<boolean> {
    return this.#store.removeDeployment(workspace, name)
  }

  /** Whether a pipeline of this name is deployed; false for a name that is not a valid pipeline name. */
  async isDeployed(name: string, workspace = DEFAULT_WORKSPACE): Promise<boolean> {
    try {
      assertValidName(name, 'pipeline')
    } catch {
      return false
    }
    return (await this.#store.getDeployment(workspace, name)) !== null
  }

  deployments(): Promise<StoredDeployment[]> {
    return this.#store.listDeployments()
  }
}

function record(v: StoredPipelineVersion, d: StoredDeployment | null): PipelineRecord {
  return {
    name: v.name,
    workspace: v.workspace,
    version: v.version,
    version_id: v.uuid,
    steps: v.definition.steps,
    validations: v.definition.validations ?? [],
    created_at: v.created_at,
    deployment: d ? { ...d.config, deployed_at: d.deployed_at } : null,
  }
}
