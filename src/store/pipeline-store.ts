import type { DeploymentRecord, PipelineDefinition } from '../records/pipeline-record.js'

export interface StoredPipelineVersion {
  workspace: string
  name: string
  version: number
  uuid: string
  definition: PipelineDefinition
  created_at: string
}

export interface StoredDeployment {
  workspace: string
  name: string
  config: Omit<DeploymentRecord, 'deployed_at'>
  deployed_at: string
}

/** Pipeline versions and deployments: what `pipelines/` keeps in SQL. Each method is atomic. */
export interface PipelineStore {
  /** Stores the next version of the pipeline (1 for a new one), safe against concurrent changes. */
  putPipelineVersion(workspace: string, name: string, uuid: string, definition: PipelineDefinition): Promise<StoredPipelineVersion>
  /** The given version, or the newest; null when there is none. */
  getPipelineVersion(workspace: string, name: string, version?: number): Promise<StoredPipelineVersion | null>
  /** The newest version of every pipeline of the workspace, by name. */
  listPipelines(workspace: string): Promise<StoredPipelineVersion[]>
  setDeployment(workspace: string, name: string, config: StoredDeployment['config']): Promise<StoredDeployment>
  /** False when the pipeline was not deployed. */
  removeDeployment(workspace: string, name: string): Promise<boolean>
  getDeployment(workspace: string, name: string): Promise<StoredDeployment | null>
  listDeployments(workspace?: string): Promise<StoredDeployment[]>
}
