export interface BlobRef {
  sha256: string
  size: number
}

export interface PutOptions {
  /** Refuse (TooLarge) and remove the partial blob past this many bytes. */
  maxBytes?: number
  /** Refuse (InvalidInput) when the bytes hash to anything else. */
  expectedSha256?: string
}

/**
 * Blobs by SHA-256, written once. `put` hashes while streaming to a temporary file and renames
 * it into place atomically; on any error nothing is left behind.
 */
export interface ArtifactStore {
  put(body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, opts?: PutOptions): Promise<BlobRef>
  putFile(path: string, opts?: PutOptions): Promise<BlobRef>
  has(sha256: string): Promise<boolean>
  open(sha256: string): Promise<NodeJS.ReadableStream>
  /** A local file path holding the blob, its digest verified once per process. */
  localPath(sha256: string): Promise<string>
  /** The blob (a zip) safely extracted to a folder; cached by digest. */
  extractedPath(sha256: string): Promise<string>
  delete(sha256: string): Promise<void>
  /** The digests of every stored blob. */
  listBlobs(): Promise<string[]>
}
