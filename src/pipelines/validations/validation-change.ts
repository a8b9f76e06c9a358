import { NotFound } from '../../errors.js'
import type { PipelineValidation } from '../../records/pipeline-record.js'

export interface ValidationChange {
  add?: PipelineValidation[]
  remove?: string[]
}

/** A pipeline's validations after removing and adding (replacing by name); removing one it lacks is NotFound. */
export function applyValidationChange(pipeline: string, current: readonly PipelineValidation[], change: ValidationChange): PipelineValidation[] {
  let validations = [...current]
  for (const gone of change.remove ?? []) {
    if (!validations.some((v) => v.name === gone)) {
      throw new NotFound(`pipeline '${pipeline}' has no validation '${gone}'; it has ${validations.map((v) => `'${v.name}'`).join(', ') || 'none'}`, { validation: gone })
    }
    validations = validations.filter((v) => v.name !== gone)
  }
  for (const added of change.add ?? []) validations = [...validations.filter((v) => v.name !== added.name), added]
  return validations
}
