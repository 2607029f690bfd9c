import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

/** The ops onnxruntime runs after its graph optimisations, keyed `domain:op` (`:Conv`, `com.microsoft.nchwc:Conv`). */
export async function optimizedOps(model: string | Uint8Array): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'tsm-ort-'));
  try {
    const optimized = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(model as string, {
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: optimized,
      logSeverityLevel: 3,
    });
    await session.release();
    const ops: Record<string, number> = {};
    for (const n of onnxProto.onnx.ModelProto.decode(readFileSync(optimized)).graph!.node!) {
      const key = `${n.domain ?? ''}:${n.opType}`;
      ops[key] = (ops[key] ?? 0) + 1;
    }
    return ops;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
