/** deploy/kubernetes/: the objects it must have, wired to each other, setting only variables Quiver reads. */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'

const ROOT = resolve(import.meta.dirname, '../..')
const DIR = join(ROOT, 'deploy/kubernetes')

function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true }).map((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? sourceText(p) : e.name.endsWith('.ts') ? readFileSync(p, 'utf8') : ''
  }).join('\n')
}

/** Every QUIVER_* / AWS_* name that appears in src/ (read through process.env or an env parameter). */
const READ = new Set(sourceText(join(ROOT, 'src')).match(/\b(?:QUIVER|AWS)_[A-Z0-9_]+\b/g) ?? [])

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()
const docs = files.flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
  assert.deepEqual(d.errors, [], `${f} parses`)
  return { file: f, obj: d.toJS() as any }
}))
const ofKind = (kind: string) => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj)
const deployment = (component: string) => ofKind('Deployment').find((d) => d.metadata.labels['app.kubernetes.io/component'] === component)

/** The server's drain on SIGTERM, as src/server/http-server.ts has it. */
const DRAIN_S = Number(/graceMs \?\? (\d[\d_]*)/.exec(readFileSync(join(ROOT, 'src/server/http-server.ts'), 'utf8'))![1]!.replace(/_/g, '')) / 1000

describe('Kubernetes manifests', () => {
  it('has serve and worker Deployments, a Service, a CPU autoscaler, a ConfigMap and a Secret', () => {
    assert.ok(deployment('serve'), 'serve Deployment')
    assert.ok(deployment('worker'), 'worker Deployment')
    assert.equal(ofKind('Service').length, 1)
    assert.equal(ofKind('ConfigMap').length, 1)
    assert.equal(ofKind('Secret').length, 1)
    const [hpa] = ofKind('HorizontalPodAutoscaler')
    assert.equal(hpa.apiVersion, 'autoscaling/v2')
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment('serve').metadata.name })
    assert.deepEqual(hpa.spec.metrics.map((m: any) => m.resource.name), ['cpu'])
    const kustomization = readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')
    for (const f of files.filter((f) => f !== 'kustomization.yaml')) assert.match(kustomization, new RegExp(`- ${f.replace('.', '\\.')}`))
  })

  it('selects its pods consistently and probes the V2 health routes', () => {
    const [service] = ofKind('Service')
    for (const component of ['serve', 'worker']) {
      const d = deployment(component)
      assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels, `${component} selector matches its pods`)
    }
    // The worker serves no HTTP: no port, no HTTP probe, and no Service selects it.
    const [w] = deployment('worker').spec.template.spec.containers
    assert.equal(w.args[0], 'worker')
    assert.equal(w.ports, undefined)
    assert.equal(w.readinessProbe?.httpGet ?? w.livenessProbe?.httpGet, undefined)
    for (const component of ['serve']) {
      const d = deployment(component)
      const [c] = d.spec.template.spec.containers
      assert.equal(c.args[0], 'serve')
      assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready')
      assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live')
      const port = c.ports.find((p: any) => p.name === c.readinessProbe.httpGet.port)
      assert.equal(String(port.containerPort), c.args[c.args.indexOf('--port') + 1])
    }
    const serveLabels = deployment('serve').spec.template.metadata.labels
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(serveLabels[k], v)
    assert.notEqual(deployment('worker').spec.template.metadata.labels['app.kubernetes.io/component'], service.spec.selector['app.kubernetes.io/component'])
  })

  it('gives pods time to leave the Service and drain before they are killed', () => {
    assert.ok(DRAIN_S > 0)
    const serve = deployment('serve').spec.template.spec
    const preStop = serve.containers[0].lifecycle?.preStop?.exec?.command
    const sleep = preStop ? Number(preStop[1]) : 0
    assert.ok(serve.terminationGracePeriodSeconds >= sleep + DRAIN_S, `serve: grace ${serve.terminationGracePeriodSeconds} s >= preStop ${sleep} s + drain ${DRAIN_S} s`)
    // A worker drains its running jobs for --drain-seconds, then hands the rest back to the queue.
    const worker = deployment('worker').spec.template.spec
    const args: string[] = worker.containers[0].args
    const drain = Number(args[args.indexOf('--drain-seconds') + 1])
    assert.ok(drain > 0, 'the worker sets --drain-seconds')
    assert.ok(worker.terminationGracePeriodSeconds >= drain + 5, `worker: grace ${worker.terminationGracePeriodSeconds} s >= drain ${drain} s + 5 s to hand jobs back`)
  })

  it('sets only variables Quiver reads, from the ConfigMap and Secret it defines', () => {
    const [config] = ofKind('ConfigMap')
    const [secret] = ofKind('Secret')
    const set = [...Object.keys(config.data), ...Object.keys(secret.stringData ?? secret.data)]
    for (const d of ofKind('Deployment')) {
      const [c] = d.spec.template.spec.containers
      set.push(...(c.env ?? []).map((e: any) => e.name))
      const refs = c.envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name)
      assert.deepEqual(refs.sort(), [config.metadata.name, secret.metadata.name].sort())
    }
    assert.deepEqual(set.filter((name) => !READ.has(name)), [], `variables nothing in src/ reads (read: ${[...READ].sort().join(', ')})`)
    for (const needed of ['QUIVER_DATABASE_URL', 'QUIVER_ARTIFACTS']) assert.ok(set.includes(needed), needed)
  })
})
