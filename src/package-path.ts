/**
 * Files Quiver ships beside its code (SQL migrations, Python scripts, `bin/quiver`), located from
 * the package root. The code runs either from the TypeScript sources or from the bundle that
 * `npm run build` writes to `dist/`; this module sits directly in `src/` and every bundle file
 * directly in `dist/`, so in both cases the root is one folder up. Locating a file relative to the
 * module that uses it would instead point into `dist/` once that module is bundled.
 */
import { fileURLToPath } from 'node:url'

const ROOT = new URL('../', import.meta.url)

/**
 * The absolute path of a file or folder given relative to the package root.
 *
 * @example
 * packagePath('src/store/migrations') // → /…/quiver/src/store/migrations
 */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, ROOT))
}
