/** Builds the web UI (ui/) into dist/ui/, which `quiver serve` serves at `/`. */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  root: here('.'),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: here('../dist/ui'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
})
