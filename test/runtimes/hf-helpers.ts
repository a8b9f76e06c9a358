/** Shared pieces of the Hugging Face task tests: tiny models built at test time with Debian's torch. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { pythonOr } from './python-helpers.js'

const BUILDER = fileURLToPath(new URL('../fixtures/huggingface/build_tiny_bert.py', import.meta.url))

export const hfRoot = mkdtempSync(join(tmpdir(), 'quiver-hf-'))
after(() => rmSync(hfRoot, { recursive: true, force: true }))

let python: string | null | undefined

/**
 * Builds the tiny model of `task` into a folder named `name` (default the task) and the torch
 * reference for `cases`; null after skipping the test when no Python has torch.
 */
export async function buildTinyBert(t: TestContext, task: string, cases: unknown[], name = task): Promise<{ dir: string; reference: unknown[] } | null> {
  if (python === undefined) python = (await pythonOr(t, ['torch', 'numpy']))?.executable ?? null
  if (!python) return null
  const dir = join(hfRoot, name)
  writeFileSync(join(hfRoot, `${name}-cases.json`), JSON.stringify(cases))
  execFileSync(python, [BUILDER, dir, task, join(hfRoot, `${name}-cases.json`)], { stdio: 'pipe' })
  return { dir, reference: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) }
}

const IMAGE_BUILDER = fileURLToPath(new URL('../fixtures/huggingface/build_tiny_image_classifier.py', import.meta.url))

/** Builds the tiny image classifier (Pillow filter `resample`: 2 bilinear, 3 bicubic; `processor` settings replacing the defaults) and the torch reference for `cases`. */
export async function buildTinyImageClassifier(t: TestContext, resample: 2 | 3, cases: unknown[], name: string, processor: Record<string, unknown> = {}): Promise<{ dir: string; reference: unknown[] } | null> {
  if (python === undefined) python = (await pythonOr(t, ['torch', 'numpy']))?.executable ?? null
  if (!python) return null
  const dir = join(hfRoot, name)
  writeFileSync(join(hfRoot, `${name}-cases.json`), JSON.stringify(cases))
  writeFileSync(join(hfRoot, `${name}-processor.json`), JSON.stringify(processor))
  execFileSync(python, [IMAGE_BUILDER, dir, String(resample), join(hfRoot, `${name}-cases.json`), join(hfRoot, `${name}-processor.json`)], { stdio: 'pipe' })
  return { dir, reference: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) }
}
