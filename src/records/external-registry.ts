/** What Quiver shows of another registry's models and versions (SPEC §10). */
export const REGISTRY_TYPES = ['mlflow', 'quiver'] as const
export type RegistryType = (typeof REGISTRY_TYPES)[number]

export interface ExternalModel {
  name: string
  description: string | null
  latest_version: string | null
  updated_at: string | null
}

export interface ExternalVersion {
  model: string
  version: string
  status: string | null
  framework: string | null
  description: string | null
  created_at: string | null
}
