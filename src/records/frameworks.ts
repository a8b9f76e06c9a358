/** SPEC §2 framework names. `hugging-face-<task>` is matched by prefix. */
export const FRAMEWORKS = [
  'onnx', 'tensorflow', 'keras', 'pytorch', 'sklearn', 'xgboost', 'python', 'custom', 'js',
  'mlflow', 'remote',
] as const
export type Framework = (typeof FRAMEWORKS)[number] | `hugging-face-${string}`

export const RUNTIME_KINDS = ['native', 'containerized', 'remote'] as const
export type RuntimeKind = (typeof RUNTIME_KINDS)[number]

export const STATUSES = ['pending_conversion', 'converting', 'ready', 'error'] as const
export type VersionStatus = (typeof STATUSES)[number]

export const ARCHES = ['x86', 'arm'] as const
export type Arch = (typeof ARCHES)[number]

export function isFramework(s: string): s is Framework {
  return (FRAMEWORKS as readonly string[]).includes(s) || /^hugging-face-[a-z0-9-]+$/.test(s)
}
