/**
 * The part of onnxruntime the runtime uses, as onnxruntime-node and onnxruntime-web both export it (their shared
 * onnxruntime-common API). onnxruntime is the app's peer dependency: loaded on first use, and a missing one is a
 * typed error saying what to install.
 */
import { TsmError } from '../errors.js';

export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** Session options the runtime passes through (execution providers, threads, …), as onnxruntime reads them. */
export type OrtSessionOptions = Record<string, unknown>;

export interface OrtModule {
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  readonly InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
}

/** Which onnxruntime package an environment runs on, and how an app installs it. */
export interface OrtPackage {
  readonly name: 'onnxruntime-node' | 'onnxruntime-web';
  readonly install: string;
  load(): Promise<unknown>;
}

/** The package's module (its default export when it is CommonJS), or E_NO_ONNXRUNTIME saying what to install. */
export async function loadOrt(pkg: OrtPackage): Promise<OrtModule> {
  let loaded: unknown;
  try {
    loaded = await pkg.load();
  } catch (err) {
    throw new TsmError(
      'usage',
      'E_NO_ONNXRUNTIME',
      `tsm/runtime needs ${pkg.name}, which this app does not have (${(err as Error).message.split('\n')[0]})`,
      { hint: `install it next to tsm: ${pkg.install}`, details: { package: pkg.name } },
    );
  }
  const m = loaded as Partial<OrtModule> & { default?: OrtModule };
  return m.InferenceSession ? (m as OrtModule) : (m.default as OrtModule);
}
