/** `GET /openapi.json`: every route of the app, as an OpenAPI 3.1 document written out by hand. */
import { V2_DATATYPES } from './v2/types.js'

type Method = 'get' | 'post' | 'delete'

interface Operation {
  summary: string
  tags: string[]
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; description?: string; schema: object }[]
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>
}

export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string }
  paths: Record<string, Partial<Record<Method, Operation>>>
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> }
  security: Record<string, string[]>[]
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: object) => ({ 'application/json': { schema } })
const str = { type: 'string' }
const path = (name: string, description: string) => ({ name, in: 'path' as const, required: true, description, schema: str })
const WORKSPACE = { name: 'workspace', in: 'query' as const, description: 'workspace (default: the token\'s, else default)', schema: str }
const REF = path('ref', 'model reference: name, name@tag, name:uuid or name#seq, URL-encoded (# is %23)')
const NAME = path('name', 'model name')
const VERSION = path('version', 'version seq, version UUID or tag')
const PIPELINE = path('name', 'pipeline name')
const JOB_ID = path('id', 'job id')
const WAIT = { name: 'wait', in: 'query' as const, description: 'false: queue it as a job and answer 202 with the job (follow it at /v1/jobs/{id})', schema: { enum: ['true', 'false'] } }

const v1Error = { description: 'error', content: json(ref('Error')) }
const v2Error = { description: 'error', content: json(ref('V2Error')) }
const TABLE_IN = {
  'application/json': { schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object', properties: { columns: { type: 'object' } } }] } },
  'application/vnd.apache.arrow.stream': { schema: { type: 'string', format: 'binary' } },
  'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } },
  'text/csv': { schema: str },
}
const TABLE_OUT = {
  'application/json': { schema: { description: 'records (default) or {"columns": {...}} with ?format=columns' } },
  'application/vnd.apache.arrow.stream': { schema: { type: 'string', format: 'binary' } },
}

function v1(summary: string, extra: Partial<Operation> = {}, ok: Operation['responses'][string] = { description: 'ok' }, status = '200'): Operation {
  return { summary, tags: ['v1'], ...extra, responses: { [status]: ok, default: v1Error } }
}

function v2(summary: string, extra: Partial<Operation> = {}, ok: Operation['responses'][string] = { description: 'ok' }): Operation {
  return { summary, tags: ['v2'], ...extra, responses: { '200': ok, default: v2Error } }
}

const version = { description: 'the version (SPEC §1 object)', content: json(ref('Version')) }
const inferV1 = (params: Operation['parameters']) => v1('Run the version on a table (SPEC §4 result table back)', {
  parameters: [...params!, WORKSPACE, { name: 'format', in: 'query', schema: { enum: ['records', 'columns', 'arrow', 'parquet', 'csv'] } }],
  requestBody: { required: true, content: TABLE_IN },
}, { description: 'result table, by Accept or ?format', content: TABLE_OUT })
const statusOp = (params: Operation['parameters']) => v1('Status of a version', { parameters: [...params!, WORKSPACE] }, {
  description: 'status', content: json({ type: 'object', properties: { name: str, seq: { type: 'integer' }, version: str, status: str, error_message: { type: ['string', 'null'] } } }),
})
const metadata = (params: Operation['parameters']) => v2('Model metadata', { parameters: params }, { description: 'metadata', content: json(ref('V2ModelMetadata')) })
const ready = (params: Operation['parameters']) => v2('Model ready (200 ready, 400 not ready)', { parameters: params })
const infer = (params: Operation['parameters']) => v2('Inference (JSON, or JSON plus binary tensors with Inference-Header-Content-Length)', {
  parameters: params,
  requestBody: { required: true, content: { ...json(ref('V2InferenceRequest')), 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
}, { description: 'inference response', content: { ...json(ref('V2InferenceResponse')), 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })

const tensor = { type: 'object', required: ['name', 'datatype', 'shape'], properties: { name: str, datatype: { enum: [...V2_DATATYPES] }, shape: { type: 'array', items: { type: 'integer' } } } }

export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Quiver',
      version: '0.1.0',
      description: 'Model registry and inference: REST /v1 mirrors the command line; /v2 is the Open Inference Protocol (KServe V2) with the binary tensor data extension.',
    },
    security: [{ bearer: [] }, {}],
    paths: {
      '/v1/models': {
        get: v1('List the models of a workspace', { parameters: [WORKSPACE] }, { description: 'models', content: json({ type: 'array', items: ref('ModelSummary') }) }),
        post: v1('Upload a model file as a new version (multipart/form-data, streamed; fields first, file last)', {
          parameters: [WORKSPACE],
          requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('UploadForm') } } },
        }, version, '201'),
      },
      '/v1/models/{name}/versions': { get: v1('List the versions of a model, oldest first', { parameters: [NAME, WORKSPACE] }, { description: 'versions', content: json({ type: 'array', items: ref('Version') }) }) },
      '/v1/models/{name}/versions/{version}': { get: v1('Show one version', { parameters: [NAME, VERSION, WORKSPACE] }, version) },
      '/v1/models/{name}/versions/{version}/status': { get: statusOp([NAME, VERSION]) },
      '/v1/models/{name}/versions/{version}/infer': { post: inferV1([NAME, VERSION]) },
      '/v1/models/{ref}': { get: v1('Show the version a reference names', { parameters: [REF, WORKSPACE] }, version) },
      '/v1/models/{ref}/status': { get: statusOp([REF]) },
      '/v1/models/{ref}/infer': { post: inferV1([REF]) },
      '/v1/models/{ref}/tags': {
        post: v1('Point a tag at the version (moving it from any other)', {
          parameters: [REF, WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['tag'], properties: { tag: str } }) },
        }, version),
      },
      '/v1/models/{name}/tags/{tag}': { delete: v1('Remove a tag from a model', { parameters: [NAME, path('tag', 'tag'), WORKSPACE] }) },
      '/v1/models/{ref}/artifact': { get: v1('Download the version\'s artifact as uploaded (what another Quiver imports)', { parameters: [REF, WORKSPACE] }, { description: 'the artifact bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }) },
      '/v1/registries': {
        get: v1('List the registries models are imported from', { parameters: [WORKSPACE] }, { description: 'registries', content: json({ type: 'array', items: { type: 'object' } }) }),
        post: v1('Add a registry (type mlflow or quiver)', {
          parameters: [WORKSPACE], requestBody: { required: true, content: json({ type: 'object', required: ['name', 'type', 'url'], properties: { name: str, type: { enum: ['mlflow', 'quiver'] }, url: str, token_env: { type: 'string', description: 'environment variable of the server holding the registry\'s token' } } }) },
        }, { description: 'registry', content: json({ type: 'object' }) }, '201'),
      },
      '/v1/registries/{registry}/models': { get: v1('List the models of a registry', { parameters: [path('registry', 'registry name'), WORKSPACE] }, { description: 'models', content: json({ type: 'array', items: { type: 'object' } }) }) },
      '/v1/registries/{registry}/models/{model}/versions': { get: v1('List the versions of a registry\'s model', { parameters: [path('registry', 'registry name'), path('model', 'model name there'), WORKSPACE] }, { description: 'versions', content: json({ type: 'array', items: { type: 'object' } }) }) },
      '/v1/registries/{registry}/models/{model}/versions/{version}/import': {
        post: v1('Import a registry\'s version (artifact, schemas, metadata) as a new version, with metadata.source and a lineage edge', {
          parameters: [path('registry', 'registry name'), path('model', 'model name there'), path('version', 'version there'), WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['name'], properties: { name: str, tags: { type: 'array', items: str }, description: str, metadata: { type: 'object' }, input_schema: { type: 'array' }, output_schema: { type: 'array' }, trust: { type: 'boolean' } } }) },
        }, version, '201'),
      },
      '/v1/tokens': {
        get: v1('List the workspace\'s API tokens (owner)', { parameters: [WORKSPACE] }, { description: 'tokens', content: json({ type: 'array', items: ref('Token') }) }),
        post: v1('Create an API token (owner); the secret is in this answer only', {
          requestBody: { required: true, content: json({ type: 'object', required: ['role'], properties: { workspace: str, role: { enum: ['owner', 'editor', 'viewer'] }, user: str } }) },
        }, { description: 'token', content: json(ref('Token')) }, '201'),
      },
      '/v1/features': {
        get: v1('List feature sets (newest versions)', { parameters: [WORKSPACE] }, { description: 'feature sets', content: json({ type: 'array', items: { type: 'object' } }) }),
        post: v1('Apply feature-set definitions (one or an array, SPEC §7 JSON form); unchanged ones are a no-op', {
          parameters: [WORKSPACE], requestBody: { required: true, content: json({ type: 'array', items: { type: 'object' } }) },
        }, { description: 'applied sets: name, version, changed', content: json({ type: 'array', items: { type: 'object' } }) }, '201'),
      },
      '/v1/features/{set}': { get: v1('Show a feature set (newest version, or ?version=N)', { parameters: [WORKSPACE, path('set', 'feature set name')] }, { description: 'feature set', content: json({ type: 'object' }) }) },
      '/v1/suites': { get: v1('List test suites (newest versions)', { parameters: [WORKSPACE] }, { description: 'suites', content: json({ type: 'array', items: { type: 'object' } }) }) },
      '/v1/suites/{ref}': { get: v1('Show a test suite (NAME or NAME#VERSION, # as %23)', { parameters: [WORKSPACE, path('ref', 'suite name or name#version')] }, { description: 'suite', content: json({ type: 'object' }) }) },
      '/v1/suites/{name}': {
        post: v1('Create a test suite from the samples file in the body; unchanged contents are a no-op', {
          parameters: [WORKSPACE, path('name', 'suite name'), ...['label', 'file_name', 'features', 'case'].map((name) => ({ name, in: 'query' as const, description: name === 'case' ? 'NAME=EXPR, repeatable' : name, schema: str }))],
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        }, { description: 'the suite version', content: json({ type: 'object' }) }, '201'),
      },
      '/v1/models/{ref}/evaluate': {
        post: v1('Evaluate the version on a test suite: metrics per case (SPEC §9; ?wait=false: as a job, 202)', {
          parameters: [REF, WORKSPACE, WAIT], requestBody: { required: true, content: json({ type: 'object', required: ['suite'], properties: { suite: str } }) },
        }, { description: 'evaluation', content: json({ type: 'object' }) }),
      },
      '/v1/models/{name}/train': {
        post: v1('Train a new version: trainer and training-set files base64 in the body (or a spine path and SET.F features; ?wait=false: as a job, 202)', {
          parameters: [NAME, WORKSPACE, WAIT],
          requestBody: { required: true, content: json({ type: 'object', required: ['trainer'], properties: { trainer: { type: 'object' }, training_set: { type: 'object' }, spine: str, features: { type: 'array', items: str }, label: str, window: str, date: str, config: { type: 'object' }, tags: { type: 'array', items: str } } }) },
        }, version, '201'),
      },
      '/v1/jobs': {
        get: v1('The workspace\'s jobs (conversion, materialization, training, evaluation), newest first', {
          parameters: [WORKSPACE, { name: 'state', in: 'query', schema: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] } },
            { name: 'kind', in: 'query', schema: str }, { name: 'limit', in: 'query', description: '1..10000, default 100', schema: { type: 'integer' } }],
        }, { description: 'jobs', content: json({ type: 'array', items: ref('Job') }) }),
      },
      '/v1/jobs/{id}': {
        get: v1('One job: state, progress, attempts, error, result (404 for another workspace\'s)', { parameters: [WORKSPACE, JOB_ID] }, { description: 'job', content: json(ref('Job')) }),
      },
      '/v1/jobs/{id}/cancel': {
        post: v1('Cancel a queued job at once, a running one at its next heartbeat (409 once finished; editor role)', { parameters: [WORKSPACE, JOB_ID] }, { description: 'job', content: json(ref('Job')) }),
      },
      '/v1/compare': {
        post: v1('Compare two versions on a test suite; optionally promote a tag to the better one', {
          parameters: [WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['a', 'b', 'suite'], properties: { a: str, b: str, suite: str, threshold: { type: 'number' }, promote: str } }) },
        }, { description: 'comparison', content: json({ type: 'object' }) }),
      },
      '/v1/features/{set}/fetch': {
        get: v1('Online features of one entity: its key columns as query parameters, ?features=F,… (default all); JSON, or Avro binary on Accept: avro/binary', {
          parameters: [WORKSPACE, path('set', 'feature set name')],
        }, { description: 'SPEC §7 fetch result: keys, features, models, missing', content: json({ type: 'object' }) }),
        post: v1('Online features of one entity ({"keys": {...}}) or several ({"keys": [{...}]}); JSON, or Avro binary on Accept: avro/binary', {
          parameters: [WORKSPACE, path('set', 'feature set name')],
          requestBody: { required: true, content: json({ type: 'object', required: ['keys'], properties: { keys: { type: ['object', 'array'] }, features: { type: 'array', items: str } } }) },
        }, { description: 'one fetch result, or an array of them', content: json({ type: ['object', 'array'] }) }),
      },
      '/v1/features/{set}/schema': {
        get: v1('The Avro schema of a fetch response (?features=F,… for a subset)', { parameters: [WORKSPACE, path('set', 'feature set name')] }, { description: 'Avro schema (JSON)', content: json({ type: 'object' }) }),
      },
      '/v1/features/{set}/materialize': {
        post: v1('Load the latest value of each entity (event time within start..end) into the online store (?wait=false: as a job, 202)', {
          parameters: [WORKSPACE, WAIT, path('set', 'feature set name')],
          requestBody: { content: json({ type: 'object', properties: { start: { type: ['string', 'integer'] }, end: { type: ['string', 'integer'] } } }) },
        }, { description: 'set, version, entities, seconds, store', content: json({ type: 'object' }) }),
      },
      '/v1/features/enrich': {
        post: v1('Batch enrichment of a table file (paths as the server sees them; owner role): the input plus a model\'s output column, or derived features', {
          parameters: [WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['input', 'output'], properties: { input: str, output: str, model: str, inputs: { type: 'array', items: str }, as: str, features: { type: 'array', items: str } } }) },
        }, { description: 'output, rows, columns, models, seconds', content: json({ type: 'object' }) }),
      },
      '/v1/features/training-set': {
        post: v1('A point-in-time training set from a spine file (paths as the server sees them; owner role): features as of each spine row, never later', {
          parameters: [WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['spine', 'features', 'output'], properties: { spine: str, features: { type: 'array', items: str }, label: str, time: str, window: str, output: str } }) },
        }, { description: 'output, rows, columns, models, seconds', content: json({ type: 'object' }) }, '201'),
      },
      '/v1/lineage/{ref}': {
        get: v1('Recorded lineage around a node (feature set, SET.F, model reference, training-set path)', {
          parameters: [REF, WORKSPACE, { name: 'direction', in: 'query' as const, description: 'upstream, downstream or both (default)', schema: str }],
        }, { description: 'nodes and edges', content: json({ type: 'object' }) }),
      },
      '/v1/models/{ref}/fetch-inference': {
        post: v1('A model\'s output for entity keys: the feature naming the model, computed with this version from the online store', {
          parameters: [REF, WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['keys'], properties: { keys: { type: ['object', 'array'] }, set: str } }) },
        }, { description: 'fetch results', content: json({ type: ['object', 'array'] }) }),
      },
      '/v1/pipelines': {
        get: v1('List pipelines (newest versions, with their deployments)', { parameters: [WORKSPACE] }, { description: 'pipelines', content: json({ type: 'array', items: ref('Pipeline') }) }),
        post: v1('Create a pipeline, or a new version of it; each step\'s inputs must be given by the previous step\'s outputs', {
          parameters: [WORKSPACE],
          requestBody: { required: true, content: json({ type: 'object', required: ['name', 'steps'], properties: { name: str, steps: { type: 'array', items: { type: 'object', properties: { ref: str, map: { type: 'object' } } } } } }) },
        }, { description: 'the new pipeline version', content: json(ref('Pipeline')) }, '201'),
      },
      '/v1/pipelines/{name}': { get: v1('Show a pipeline', { parameters: [PIPELINE, WORKSPACE] }, { description: 'pipeline', content: json(ref('Pipeline')) }) },
      '/v1/pipelines/{name}/deploy': {
        post: v1('Deploy: load every step; refused when the memory estimate exceeds memory', {
          parameters: [PIPELINE, WORKSPACE],
          requestBody: { content: json({ type: 'object', properties: { replicas: { type: 'integer' }, cpus: { type: 'number' }, memory: { type: ['string', 'integer'] }, batch_max_rows: { type: 'integer' }, batch_delay_ms: { type: 'integer' } } }) },
        }, { description: 'pipeline', content: json(ref('Pipeline')) }),
      },
      '/v1/pipelines/{name}/undeploy': { post: v1('Undeploy: inference is refused until deployed again', { parameters: [PIPELINE, WORKSPACE] }, { description: 'pipeline', content: json(ref('Pipeline')) }) },
      '/v1/pipelines/{name}/swap-step': {
        post: v1('Point a step at another model version; a deployment switches with no dropped request', {
          parameters: [PIPELINE, WORKSPACE], requestBody: { required: true, content: json({ type: 'object', required: ['index', 'ref'], properties: { index: { type: 'integer' }, ref: str } }) },
        }, { description: 'the new pipeline version', content: json(ref('Pipeline')) }),
      },
      '/v1/pipelines/{name}/validations': {
        post: v1('Add ({"add": {"name": "expr"}}) or remove ({"remove": ["name"]}) validations', {
          parameters: [PIPELINE, WORKSPACE], requestBody: { required: true, content: json({ type: 'object', properties: { add: { type: 'object' }, remove: { type: 'array', items: str } } }) },
        }, { description: 'the new pipeline version', content: json(ref('Pipeline')) }),
      },
      '/v1/pipelines/{name}/infer': {
        post: v1('Run a deployed pipeline on a table (SPEC §4 result table back)', {
          parameters: [PIPELINE, WORKSPACE, { name: 'format', in: 'query', schema: { enum: ['records', 'columns', 'arrow', 'parquet', 'csv'] } }],
          requestBody: { required: true, content: TABLE_IN },
        }, { description: 'result table, by Accept or ?format', content: TABLE_OUT }),
      },
      '/v1/pipelines/{name}/invocations': {
        post: v1('MLflow scoring protocol: dataframe_split, dataframe_records, instances, inputs, or CSV', {
          parameters: [PIPELINE, WORKSPACE],
          requestBody: { required: true, content: { ...json({ type: 'object' }), 'text/csv': { schema: str } } },
        }, { description: 'predictions', content: json({ type: 'object', properties: { predictions: { type: 'array', items: { type: 'object' } } } }) }),
      },
      '/v1/pipelines/{name}/logs': {
        get: v1('The inference log: rows in [since, until], the newest limit of them, oldest first', {
          parameters: [PIPELINE, WORKSPACE, { name: 'since', in: 'query', schema: str }, { name: 'until', in: 'query', schema: str }, { name: 'limit', in: 'query', schema: { type: 'integer' } },
            { name: 'format', in: 'query', schema: { enum: ['records', 'columns', 'arrow', 'parquet', 'csv'] } }],
        }, { description: 'log rows, by Accept or ?format', content: TABLE_OUT }),
      },
      '/v1/tokens/{id}': { delete: v1('Revoke an API token (owner)', { parameters: [path('id', 'token id')] }, { description: 'token', content: json(ref('Token')) }) },
      '/v2': { get: v2('Server metadata', {}, { description: 'metadata', content: json(ref('V2ServerMetadata')) }) },
      '/v2/health/live': { get: v2('Server live (no token needed)') },
      '/v2/health/ready': { get: v2('Server ready (no token needed)') },
      '/v2/models/{name}': { get: metadata([NAME]) },
      '/v2/models/{name}/ready': { get: ready([NAME]) },
      '/v2/models/{name}/infer': { post: infer([NAME]) },
      '/v2/models/{name}/versions/{version}': { get: metadata([NAME, VERSION]) },
      '/v2/models/{name}/versions/{version}/ready': { get: ready([NAME, VERSION]) },
      '/v2/models/{name}/versions/{version}/infer': { post: infer([NAME, VERSION]) },
      '/metrics': { get: { summary: 'Prometheus metrics', tags: ['ops'], responses: { '200': { description: 'text exposition format' } } } },
      '/openapi.json': { get: { summary: 'This document', tags: ['ops'], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/': { get: { summary: 'The web UI (index.html, revalidated on every load; no token needed)', tags: ['ui'], responses: { '200': { description: 'HTML' }, '503': { description: 'the UI is not built' } } } },
      '/assets/{file}': { get: { summary: 'The web UI\'s content-hashed scripts and styles, cached as immutable', tags: ['ui'], parameters: [path('file', 'asset file name')], responses: { '200': { description: 'the file' }, '404': { description: 'no such asset' } } } },
      '/v1/whoami': { get: v1('The workspace, role and user of the presented token (role null when the server runs without auth)', {}, { description: 'the caller', content: json({ type: 'object', properties: { auth: { type: 'boolean' }, workspace: str, role: str, user: str } }) }) },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'needed when the server runs with --auth' } },
      schemas: {
        Job: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, kind: str, workspace: str, payload: { type: 'object' },
            state: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }, attempts: { type: 'integer' }, max_attempts: { type: 'integer' },
            worker: { type: ['string', 'null'] }, progress: { type: 'number', minimum: 0, maximum: 1 }, message: { type: ['string', 'null'] },
            cancel_requested: { type: 'boolean' }, result: {}, error: { type: ['string', 'null'] }, created_at: str, updated_at: str,
          },
        },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } } } },
        V2Error: { type: 'object', required: ['error'], properties: { error: str } },
        Version: { type: 'object', description: 'SPEC §1 version object', required: ['id', 'version', 'seq', 'name', 'workspace', 'status'] },
        Pipeline: { type: 'object', description: 'SPEC §8 pipeline version: name, workspace, version, version_id, steps, validations, created_at, deployment', required: ['name', 'workspace', 'version', 'steps', 'validations', 'deployment'] },
        ModelSummary: { type: 'object', required: ['name', 'workspace', 'versions'] },
        Token: { type: 'object', required: ['id', 'workspace', 'role'], properties: { id: str, token: str, workspace: str, role: str, user: { type: ['string', 'null'] }, created_at: str, revoked_at: { type: ['string', 'null'] } } },
        UploadForm: {
          type: 'object', required: ['name', 'framework', 'file'],
          properties: {
            name: str, framework: str, input_schema: str, output_schema: str, tag: { type: 'array', items: str }, description: str,
            meta: str, no_wait: { type: 'boolean' }, trust: { type: 'boolean' }, tensor_fields: str, arch: str, accel: str,
            file: { type: 'string', format: 'binary' },
          },
        },
        V2ServerMetadata: { type: 'object', properties: { name: str, version: str, extensions: { type: 'array', items: str } } },
        V2ModelMetadata: { type: 'object', properties: { name: str, versions: { type: 'array', items: str }, platform: str, inputs: { type: 'array', items: tensor }, outputs: { type: 'array', items: tensor } } },
        V2InferenceRequest: {
          type: 'object', required: ['inputs'],
          properties: {
            id: str, parameters: { type: 'object' },
            inputs: { type: 'array', items: { ...tensor, properties: { ...tensor.properties, parameters: { type: 'object' }, data: { type: 'array' } } } },
            outputs: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str, parameters: { type: 'object' } } } },
          },
        },
        V2InferenceResponse: {
          type: 'object', required: ['model_name', 'outputs'],
          properties: { model_name: str, model_version: str, id: str, outputs: { type: 'array', items: { ...tensor, properties: { ...tensor.properties, data: { type: 'array' } } } } },
        },
      },
    },
  }
}
