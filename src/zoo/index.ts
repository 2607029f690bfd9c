/** Loading, validating and querying zoo.json: the library entry point other apps use. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import onnxProto from 'onnx-proto';
import { TsmError } from '../errors.js';
import { readInputText } from '../io.js';
import type { Zoo, ZooArtifact, ZooEntry } from './types.js';

export type * from './types.js';

const SCHEMA_PATH = new URL('../../zoo.schema.json', import.meta.url);
let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    // ajv-formats is CommonJS: its default export is the plugin function
    const addFormats =
      (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return validator;
}

/** Schema errors as `path: message` lines (JSON pointers into the document). */
export function schemaErrors(value: unknown): string[] {
  const v = validate();
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => {
    const allowed = e.params && 'allowedValues' in e.params ? (e.params.allowedValues as unknown[]) : undefined;
    return `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${allowed ? ` (${allowed.join(', ')})` : ''}`;
  });
}

/** Parses and schema-checks a zoo document; duplicates (id, version) are an error too. */
export function parseZoo(text: string, source = 'zoo.json'): Zoo {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TsmError('input', 'E_ZOO_JSON', `${source}: not valid JSON (${(err as Error).message})`, {
      details: { file: source },
    });
  }
  const errors = schemaErrors(value);
  if (errors.length) {
    throw new TsmError(
      'input',
      'E_ZOO_SCHEMA',
      `${source}: does not match zoo.schema.json: ` +
        `${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (+${errors.length - 5} more)` : ''}`,
      {
        details: { file: source, errors },
      },
    );
  }
  const zoo = value as Zoo;
  const seen = new Set<string>();
  for (const m of zoo.models) {
    const key = `${m.id}@${m.version}`;
    if (seen.has(key))
      throw new TsmError('input', 'E_ZOO_DUPLICATE', `${source}: ${key} is listed twice`, {
        details: { file: source, id: m.id, version: m.version },
      });
    seen.add(key);
  }
  return zoo;
}

export function loadZoo(path = 'zoo.json'): Zoo {
  return parseZoo(readInputText(path, 'zoo index'), path);
}

// Selection is the client's (src/zoo/client.ts), so apps and the CLI pick the same model for the same query.
export { findModels, type ModelQuery, resolveModel } from './client.js';

/** An artifact's file relative to zoo.json: its path, or its url when that is relative (undefined for a served one). */
export function localArtifactRef(a: Pick<ZooArtifact, 'path' | 'url'>): string | undefined {
  if (a.path) return a.path;
  return a.url && !/^[a-z][a-z0-9+.-]*:/i.test(a.url) ? decodeURI(a.url.split(/[?#]/)[0]) : undefined;
}

/** Absolute path of an entry's ONNX artifact, given where zoo.json lives. */
export function artifactPath(zooPath: string, entry: ZooEntry): string {
  const ref = entry.artifacts.map(localArtifactRef).find(Boolean);
  if (!ref)
    throw new TsmError(
      'usage',
      'E_ZOO_NO_ARTIFACT',
      `${entry.id}@${entry.version} has no local artifact (status ${entry.status})`,
    );
  return resolve(dirname(zooPath), ref);
}

export interface ValidationIssue {
  readonly model: string;
  readonly problem: string;
}

/**
 * What a tsm ONNX model computes in: its `tsm.compute_dtype`; models from before that key have `tsm.weights_dtype`
 * int8 when quantised, and compute in float32 otherwise.
 */
function computeDtypeIn(bytes: Uint8Array): string | undefined {
  try {
    const metadata = new Map(
      (onnxProto.onnx.ModelProto.decode(bytes).metadataProps ?? []).map((p) => [p.key, p.value]),
    );
    return metadata.get('tsm.compute_dtype') ?? (metadata.get('tsm.weights_dtype') === 'int8' ? 'int8' : 'float32');
  } catch {
    return undefined;
  }
}

/** Schema, duplicates, local artifact checksums, and what each local artifact computes in. */
export function validateZooFile(path = 'zoo.json'): {
  models: number;
  checkedArtifacts: number;
  issues: ValidationIssue[];
} {
  const zoo = loadZoo(path);
  const issues: ValidationIssue[] = [];
  let checked = 0;
  for (const m of zoo.models) {
    const name = `${m.id}@${m.version}`;
    if (m.status === 'published' && (!m.artifacts.length || !m.verification))
      issues.push({ model: name, problem: 'published without artifacts or verification' });
    for (const a of m.artifacts) {
      const ref = localArtifactRef(a);
      if (!ref) continue;
      const file = join(dirname(path), ref);
      if (!existsSync(file)) {
        issues.push({ model: name, problem: `artifact ${ref} is missing` });
        continue;
      }
      const bytes = readFileSync(file);
      checked++;
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== a.sha256)
        issues.push({ model: name, problem: `artifact ${ref} has sha256 ${sha}, zoo.json says ${a.sha256}` });
      if (bytes.byteLength !== a.bytes)
        issues.push({
          model: name,
          problem: `artifact ${ref} has ${bytes.byteLength} bytes, zoo.json says ${a.bytes}`,
        });
      const dtype = computeDtypeIn(bytes);
      if (dtype !== (a.computeDtype ?? 'float32'))
        issues.push({
          model: name,
          problem:
            `artifact ${ref} computes in ${dtype ?? '? (not an ONNX model)'}, zoo.json says ` +
            `${a.computeDtype ?? 'nothing (float32)'}`,
        });
    }
    if (m.card && !existsSync(join(dirname(path), m.card)))
      issues.push({ model: name, problem: `card ${m.card} is missing` });
  }
  return { models: zoo.models.length, checkedArtifacts: checked, issues };
}
