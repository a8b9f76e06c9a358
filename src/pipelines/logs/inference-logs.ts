/**
 * The inference logs of one installation: a directory per workspace and pipeline under
 * `<home>/logs`, each opened on first use and kept open (buffering) until `close`.
 */
import { join } from 'node:path'
import { InferenceLog } from './inference-log.js'
import { type LogSettings, logSettings } from './log-settings.js'

export class InferenceLogs {
  private readonly logs = new Map<string, Promise<InferenceLog>>()
  readonly settings: LogSettings

  /** `root` is the installation's log directory, e.g. `<home>/logs`. */
  constructor(readonly root: string, settings: Partial<LogSettings> = {}) {
    this.settings = logSettings(settings)
  }

  /** The log of one pipeline, opened (and its retention applied) on first use. */
  get(workspace: string, pipeline: string): Promise<InferenceLog> {
    const key = `${workspace}/${pipeline}`
    let log = this.logs.get(key)
    if (log === undefined) {
      log = InferenceLog.open(join(this.root, workspace, pipeline), this.settings)
      log.catch(() => this.logs.delete(key))
      this.logs.set(key, log)
    }
    return log
  }

  /** Writes every buffered row and stops the flush timers. */
  async close(): Promise<void> {
    const logs = await Promise.allSettled(this.logs.values())
    this.logs.clear()
    await Promise.all(logs.map((l) => (l.status === 'fulfilled' ? l.value.close() : undefined)))
  }
}
