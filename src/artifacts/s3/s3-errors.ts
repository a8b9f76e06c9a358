import { errorMessage, isQuiverError, RuntimeFailure } from '../../errors.js'
import { describeLocation, type S3Location } from './s3-location.js'

interface SdkError {
  name?: string
  code?: string
  Code?: string
  $metadata?: { httpStatusCode?: number; attempts?: number }
  $fault?: string
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode
}

export function isMissing(err: unknown): boolean {
  const e = err as SdkError
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey' || httpStatus(err) === 404
}

const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'CredentialsProviderError'])

/**
 * A clear error for what the object store said (or failed to say) while doing `action`: a
 * missing bucket, refused credentials, an unreachable server, or a server error after retries.
 */
export function s3Failure(err: unknown, action: string, loc: S3Location): Error {
  if (isQuiverError(err)) return err
  const e = err as SdkError
  const where = describeLocation(loc)
  const status = httpStatus(err)
  const name = e?.name ?? e?.Code ?? 'Error'
  const details = { bucket: loc.bucket, endpoint: loc.endpoint, status, s3Code: name }
  if (name === 'NoSuchBucket') {
    return new RuntimeFailure(`artifact store ${where}: bucket '${loc.bucket}' does not exist`, details, { cause: err })
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 403) {
    return new RuntimeFailure(
      `artifact store ${where} refused the credentials while trying to ${action} (${name}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      details, { cause: err },
    )
  }
  if (status === undefined) {
    const sys = (err as { code?: string })?.code
    return new RuntimeFailure(
      `artifact store ${where} could not be reached to ${action}: ${sys ?? name}: ${errorMessage(err)}`,
      details, { cause: err },
    )
  }
  const attempts = e.$metadata?.attempts
  return new RuntimeFailure(
    `artifact store ${where} answered ${status} ${name} to ${action}${attempts && attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    details, { cause: err },
  )
}
