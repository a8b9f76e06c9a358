/**
 * A registry of type `quiver` whose peer runs `serve --auth`: the token comes from the environment
 * variable named by `registry add --token-env` (read by whichever process calls the peer: the CLI
 * on its home, or a server over `--server`); a wrong, missing or unset token is a clear error. The
 * same for a `remote` model on that peer (`upload --framework remote --token-env`).
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { serve, type Served, stopServed } from '../helpers/serve.js'
import { readCase } from '../runtimes/python-helpers.js'

const iris = readCase('onnx-mlp-iris')
const VAR = 'QUIVER_TEST_PEER_TOKEN'

describe('registry of type quiver with a token', () => {
  let peerHome: string
  let home: string
  let peer: Served | undefined
  let local: Served | undefined
  let token = ''
  const ok = async (h: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await runCli(args, { home: h, env })
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r
  }

  before(async () => {
    peerHome = await makeTemp()
    home = await makeTemp()
    await ok(peerHome, ['upload', 'iris', iris.artifact, '--framework', 'onnx'])
    token = (await ok(peerHome, ['token', 'create', '--role', 'viewer'])).stdout.trim()
    peer = await serve(peerHome, ['--auth'])
  })
  after(async () => {
    await stopServed(local)
    await stopServed(peer)
    await removeTemp(peerHome)
    await removeTemp(home)
  })

  it('lists and imports with the token from the named variable', async () => {
    const added = JSON.parse((await ok(home, ['--json', 'registry', 'add', 'secure', '--type', 'quiver', '--url', peer!.url, '--token-env', VAR])).stdout)
    assert.deepEqual([added.name, added.token_env], ['secure', VAR])
    assert.ok(!JSON.stringify(added).includes(token), 'the token itself is not stored')
    const models = JSON.parse((await ok(home, ['--json', 'registry', 'models', 'secure'], { [VAR]: token })).stdout)
    assert.deepEqual(models.map((m: { name: string }) => m.name), ['iris'])
    const v = JSON.parse((await ok(home, ['--json', 'upload', 'plants', '--from-registry', 'secure/iris/1'], { [VAR]: token })).stdout)
    assert.equal(v.status, 'ready')
    assert.equal(v.metadata.source.registry, 'secure')
    const there = JSON.parse((await runCli(['--server', peer!.url, '--token', token, '--json', 'show', 'iris#1'])).stdout)
    assert.equal(v.sha256, there.sha256, 'the same bytes as the peer\'s version')
  })

  it('says which token is refused, missing or not set', async () => {
    const wrong = await runCli(['registry', 'models', 'secure'], { home, env: { [VAR]: 'qv_not-a-token' } })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, new RegExp(`registry 'secure' \\(${peer!.url.replaceAll('.', '\\.')}\\) refused the model list with HTTP 401 \\(the token is not valid \\(unknown or revoked\\)\\): the token in ${VAR} is not one it accepts`))
    const unset = await runCli(['registry', 'versions', 'secure', 'iris'], { home, env: { [VAR]: '' } })
    assert.equal(unset.code, 1)
    assert.match(unset.stderr, new RegExp(`registry 'secure' takes its token from the environment variable ${VAR}, which is not set in the process calling it`))
    await ok(home, ['registry', 'add', 'open', '--type', 'quiver', '--url', peer!.url])
    const none = await runCli(['upload', 'x', '--from-registry', 'open/iris/1'], { home })
    assert.equal(none.code, 1)
    assert.match(none.stderr, /registry 'open' \(.*\) refused model 'iris' version '1' with HTTP 401 \(this server needs a token.*\): it needs a token: add a registry for it with quiver registry add NAME --type TYPE --url URL --token-env VAR/)
    const badName = await runCli(['registry', 'add', 'odd', '--type', 'quiver', '--url', peer!.url, '--token-env', 'PEER-TOKEN'], { home })
    assert.equal(badName.code, 2)
    assert.match(badName.stderr, /token_env must name an environment variable \(letters, digits, _\), got "PEER-TOKEN"/)
  })

  it('calls a remote model on the peer with the token of upload --token-env', async () => {
    const input = join(home, 'in.json')
    await writeFile(input, JSON.stringify(iris.input.features!.map((f) => ({ features: f }))))
    const remote = ['upload', 'iris-remote', `${peer!.url}/v2/models/iris`, '--framework', 'remote', '--protocol', 'v2', '--token-env', VAR, '--retries', '0']
    const v = JSON.parse((await ok(home, ['--json', ...remote], { [VAR]: token })).stdout)
    assert.deepEqual([v.status, v.input_schema], ['ready', iris.input_schema])
    const infer = ['infer', 'iris-remote', '--input', input, '--output-format', 'columns']
    const out = JSON.parse((await ok(home, infer, { [VAR]: token })).stdout)
    assertClose(out.columns['out.species_probs'], iris.expected.species_probs!, iris.tolerance, 'species_probs')
    const wrong = await runCli(infer, { home, env: { [VAR]: 'qv_not-a-token' } })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /\/v2\/models\/iris\/infer refused the request \(HTTP 401: the token is not valid \(unknown or revoked\)\)/)
    const unset = await runCli(infer, { home, env: { [VAR]: '' } })
    assert.equal(unset.code, 1)
    assert.match(unset.stderr, new RegExp(`/v2/models/iris takes its token from the environment variable ${VAR}, which is not set in the process calling it`))
    const bad = await runCli([remote[0]!, 'odd', ...remote.slice(2, 8), 'PEER-TOKEN'], { home })
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /remote endpoint token_env must name an environment variable \(letters, digits, _\), got "PEER-TOKEN"/)
  })

  it('reads the variable where Quiver runs: a server called with --server', async () => {
    local = await serve(home, [], { [VAR]: token })
    const models = await runCli(['--server', local.url, '--json', 'registry', 'models', 'secure'], { env: { [VAR]: '' } })
    assert.equal(models.code, 0, models.stderr)
    assert.deepEqual(JSON.parse(models.stdout).map((m: { name: string }) => m.name), ['iris'])
    const listed = JSON.parse((await runCli(['--server', local.url, '--json', 'registry', 'list'])).stdout)
    assert.deepEqual(listed.map((r: { name: string; token_env: string | null }) => [r.name, r.token_env]), [['open', null], ['secure', VAR]])
  })
})
