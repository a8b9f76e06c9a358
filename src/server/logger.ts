/** Structured logs: one JSON object per line on stderr (or any writable), silent when disabled. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; default process.stderr. */
  write?: (line: string) => void
}

/** A logger writing `{"time","level","msg",...fields}` lines. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => void process.stderr.write(line))
  const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n')
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export const SILENT_LOGGER: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} })
