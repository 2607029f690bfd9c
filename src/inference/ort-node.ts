/**
 * onnxruntime-node, loaded on first use: it is an optional peer dependency of tsm (an app brings it, without its CUDA
 * download), so a command that runs no model works without it, and one that does says what to install.
 */
import type * as Ort from 'onnxruntime-node';
import { TsmError } from '../errors.js';

let loaded: Promise<typeof Ort> | undefined;

export function onnxruntimeNode(): Promise<typeof Ort> {
  loaded ??= import('onnxruntime-node').catch((err: Error) => {
    loaded = undefined;
    throw new TsmError(
      'usage',
      'E_NO_ONNXRUNTIME',
      `running a model needs onnxruntime-node, which is not installed (${err.message.split('\n')[0]})`,
      {
        hint: 'install it next to tsm: npm install --ignore-scripts onnxruntime-node (skips its CUDA download)',
        details: { package: 'onnxruntime-node' },
      },
    );
  });
  return loaded;
}
