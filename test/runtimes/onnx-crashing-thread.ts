/**
 * An ONNX thread module that stops its thread on the second run it is given, for the
 * crash-recovery tests; otherwise it is the real thread.
 */
import { parentPort } from 'node:worker_threads'

export const CRASH_EXIT_CODE = 70

// Imported by the test for the exit code, it must not start a thread body there.
if (parentPort) {
  let runs = 0
  parentPort.on('message', () => {
    if (++runs === 2) process.exit(CRASH_EXIT_CODE)
  })
  await import('../../src/runtimes/onnx/onnx-thread-worker.js')
}
