import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { RuntimeFailure } from '../../errors.js'
import { httpStatus, isMissing, s3Failure } from './s3-errors.js'
import { describeLocation, type S3Location } from './s3-location.js'

/** 8 MiB parts, 4 in flight: an upload holds at most 32 MiB in memory whatever its size. */
const PART_SIZE = 8 * 1024 * 1024
const QUEUE_SIZE = 4

export interface S3ObjectsOptions {
  /** Attempts per request, retried with backoff on 5xx, throttling and network errors (default 4). */
  maxAttempts?: number
  /** Explicit keys; by default the SDK's chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string }
}

/**
 * The object operations the artifact store needs, on one bucket, with the SDK's errors turned
 * into clear ones. Every request is idempotent (whole-object PUTs, GETs, DELETEs, multipart parts),
 * so the SDK's retries are safe.
 */
export class S3Objects {
  readonly loc: S3Location
  readonly #client: S3Client
  #bucketChecked: Promise<void> | null = null

  constructor(loc: S3Location, opts: S3ObjectsOptions = {}) {
    this.loc = loc
    this.#client = new S3Client({
      region: loc.region,
      endpoint: loc.endpoint,
      forcePathStyle: loc.endpoint !== undefined,
      maxAttempts: opts.maxAttempts ?? 4,
      credentials: opts.credentials,
      // Checksums only where S3 demands them: S3-compatible servers do not all take the newer
      // trailing-checksum encodings. Content is checked by SHA-256 on every download anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
  }

  key(...parts: string[]): string {
    return [this.loc.prefix, ...parts].filter((p) => p !== '').join('/')
  }

  /** Once per process (again after a failure): the bucket exists and the credentials are taken. */
  checkBucket(): Promise<void> {
    if (!this.#bucketChecked) {
      this.#bucketChecked = this.#client.send(new HeadBucketCommand({ Bucket: this.loc.bucket })).then(
        () => undefined,
        (err) => {
          this.#bucketChecked = null
          if (httpStatus(err) === 404) {
            throw new RuntimeFailure(`artifact store ${describeLocation(this.loc)}: bucket '${this.loc.bucket}' does not exist`, {
              bucket: this.loc.bucket, endpoint: this.loc.endpoint,
            })
          }
          throw s3Failure(err, 'check the bucket', this.loc)
        },
      )
    }
    return this.#bucketChecked
  }

  async exists(key: string): Promise<boolean> {
    await this.checkBucket()
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: key }))
      return true
    } catch (err) {
      if (isMissing(err)) return false
      throw s3Failure(err, `look up ${key}`, this.loc)
    }
  }

  /** The object's bytes as a stream, or null when there is no such object. */
  async get(key: string): Promise<Readable | null> {
    await this.checkBucket()
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }))
      return out.Body as Readable
    } catch (err) {
      if (isMissing(err)) return null
      throw s3Failure(err, `read ${key}`, this.loc)
    }
  }

  /**
   * Uploads a local file, streamed in parts (multipart past one part). The object appears only
   * when the upload completes; on failure the parts already sent are aborted.
   */
  async uploadFile(key: string, path: string, metadata: Record<string, string> = {}): Promise<void> {
    await this.checkBucket()
    const body = createReadStream(path)
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.loc.bucket, Key: key, Body: body, Metadata: metadata },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // Aborted below instead, so that a server refusing the abort does not hide why the upload failed.
      leavePartsOnError: true,
    })
    try {
      await upload.done()
    } catch (err) {
      const uploadId = upload.uploadId
      if (uploadId) {
        // Best effort: a bucket lifecycle rule removes parts of uploads that are never aborted.
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key: key, UploadId: uploadId })).catch(() => {})
      }
      throw s3Failure(err, `upload ${key}`, this.loc)
    } finally {
      body.destroy()
    }
  }

  /** Puts bytes as one object (small bodies only: tests and markers). */
  async putBytes(key: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: key, Body: bytes }))
    } catch (err) {
      throw s3Failure(err, `write ${key}`, this.loc)
    }
  }

  async delete(key: string): Promise<void> {
    await this.checkBucket()
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: key }))
    } catch (err) {
      if (!isMissing(err)) throw s3Failure(err, `delete ${key}`, this.loc)
    }
  }

  /** Every key under `prefix`, page by page. */
  async *list(prefix: string): AsyncGenerator<string> {
    await this.checkBucket()
    let token: string | undefined
    do {
      let page
      try {
        page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: prefix, ContinuationToken: token }))
      } catch (err) {
        throw s3Failure(err, `list ${prefix}`, this.loc)
      }
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  /** Multipart uploads begun under `prefix` and neither completed nor aborted. */
  async pendingUploads(prefix: string): Promise<string[]> {
    try {
      const out = await this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.loc.bucket, Prefix: prefix }))
      return (out.Uploads ?? []).map((u) => u.Key ?? '')
    } catch (err) {
      throw s3Failure(err, `list uploads under ${prefix}`, this.loc)
    }
  }

  close(): void {
    this.#client.destroy()
  }
}
