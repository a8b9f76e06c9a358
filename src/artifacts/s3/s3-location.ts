import { InvalidInput } from '../../errors.js'

/** Where blobs live in an S3-compatible object store, and how to reach it. */
export interface S3Location {
  bucket: string
  /** Key prefix without leading or trailing slashes; '' for the bucket's root. */
  prefix: string
  /** An S3-compatible server (path-style addressing); absent for AWS itself. */
  endpoint?: string
  region: string
}

/**
 * Reads `s3://bucket/prefix` (QUIVER_ARTIFACTS) with QUIVER_S3_ENDPOINT and the AWS region
 * variables. Credentials are not read here: the SDK takes them from the usual AWS variables.
 */
export function parseS3Location(url: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim())
  if (!m) {
    throw new InvalidInput(`QUIVER_ARTIFACTS '${url}' is not an s3://bucket/prefix URL`, {
      field: 'QUIVER_ARTIFACTS', expected: 's3://bucket/prefix', got: url,
    })
  }
  const bucket = m[1]!
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new InvalidInput(`QUIVER_ARTIFACTS bucket '${bucket}' is not a valid S3 bucket name`, {
      field: 'QUIVER_ARTIFACTS', expected: '3-63 lower-case letters, digits, dots or hyphens', got: bucket,
    })
  }
  const endpoint = env.QUIVER_S3_ENDPOINT?.trim() || undefined
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new InvalidInput(`QUIVER_S3_ENDPOINT '${endpoint}' is not an http(s) URL`, {
      field: 'QUIVER_S3_ENDPOINT', expected: 'http(s)://host[:port]', got: endpoint,
    })
  }
  return {
    bucket,
    prefix: m[2]!.replace(/^\/+|\/+$/g, ''),
    endpoint,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  }
}

/** The display form used in error messages. */
export function describeLocation(loc: S3Location): string {
  const where = `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`
  return loc.endpoint ? `${where} at ${loc.endpoint}` : where
}
