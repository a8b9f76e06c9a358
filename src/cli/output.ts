/** Human and machine output for the CLI. Data goes to stdout, progress and errors to stderr. */

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  process.stdout.write(formatTable(headers, rows))
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** `2026-11-24T10:11:12.345Z` → `2026-11-24 10:11:12`. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')
}

/** What a `--no-wait` command prints: the queued job (whole with --json), and how to follow it. */
export function printQueued(job: { id: number; kind: string }, json: boolean | undefined): void {
  if (json) return printJson(job)
  process.stdout.write(`queued as job ${job.id} (${job.kind}); follow it with: quiver jobs wait ${job.id}\n`)
}
