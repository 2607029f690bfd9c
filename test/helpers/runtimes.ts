/**
 * The runtimes an exported model is deployed to, behind one seam for the runtime-matrix test: onnxruntime-node,
 * onnxruntime-web's wasm backend (run in this Node process) and OpenCV's DNN module (Debian's python3-opencv, driven
 * through tools/runtime/opencv_run.py: test-side only, like torch). A job is a list of steps run in order on one
 * loaded model; `carry` feeds an output of each step to an input of the next (an online model's shift buffers, zeros
 * before the first step).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { PYTHON, ROOT, readF32 } from './reference.js';

export interface Feed {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface RuntimeJob {
  readonly steps: ReadonlyArray<Record<string, Feed>>;
  readonly outputs: readonly string[];
  readonly carry?: ReadonlyArray<{ readonly from: string; readonly to: string; readonly shape: readonly number[] }>;
}

export interface RuntimeResult {
  /** per step, each output's values */
  readonly outputs: ReadonlyArray<Record<string, Float32Array>>;
  /** per step, ms spent setting the inputs and running */
  readonly ms: readonly number[];
}

export interface Runtime {
  readonly name: string;
  readonly threads: number;
  run(model: string, job: RuntimeJob): Promise<RuntimeResult>;
}

/** Threads every runtime gets: the machine's two cores. */
export const RUNTIME_THREADS = 2;

type OrtModule = typeof ortNode | typeof ortWeb;

async function runOrt(
  ort: OrtModule,
  session: ortNode.InferenceSession | ortWeb.InferenceSession,
  job: RuntimeJob,
): Promise<RuntimeResult> {
  const outputs: Array<Record<string, Float32Array>> = [];
  const ms: number[] = [];
  let carried: Record<string, Feed> = Object.fromEntries(
    (job.carry ?? []).map((c) => [
      c.to,
      { data: new Float32Array(c.shape.reduce((a, b) => a * b, 1)), shape: c.shape },
    ]),
  );
  for (const step of job.steps) {
    const feeds = Object.fromEntries(
      Object.entries({ ...step, ...carried }).map(([name, f]) => [
        name,
        new ort.Tensor('float32', f.data, [...f.shape]),
      ]),
    );
    const started = performance.now();
    // both modules' sessions take their own Tensor class: the feeds were built with the matching one
    const result = await (session as ortNode.InferenceSession).run(feeds as Record<string, ortNode.Tensor>);
    ms.push(performance.now() - started);
    const byName = Object.fromEntries(
      job.outputs.map((name) => [name, Float32Array.from(result[name].data as Float32Array)]),
    );
    outputs.push(byName);
    carried = Object.fromEntries((job.carry ?? []).map((c) => [c.to, { data: byName[c.from], shape: c.shape }]));
  }
  return { outputs, ms };
}

export const ONNXRUNTIME_NODE: Runtime = {
  name: 'onnxruntime-node',
  threads: RUNTIME_THREADS,
  async run(model, job) {
    const session = await ortNode.InferenceSession.create(model, {
      intraOpNumThreads: RUNTIME_THREADS,
      graphOptimizationLevel: 'all',
    });
    try {
      return await runOrt(ortNode, session, job);
    } finally {
      await session.release();
    }
  },
};

export const ONNXRUNTIME_WEB: Runtime = {
  name: 'onnxruntime-web (wasm)',
  threads: RUNTIME_THREADS,
  async run(model, job) {
    ortWeb.env.wasm.numThreads = RUNTIME_THREADS;
    const session = await ortWeb.InferenceSession.create(readFileSync(model), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    try {
      return await runOrt(ortWeb, session, job);
    } finally {
      await session.release();
    }
  },
};

const OPENCV_SCRIPT = join(ROOT, 'tools/runtime/opencv_run.py');

/** Whether Debian's python3-opencv can be imported by /usr/bin/python3. */
export function openCvAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import cv2'], { stdio: 'ignore' }).status === 0;
}

/** OpenCV's version as its Python module reports it. */
export function openCvVersion(): string {
  return execFileSync(PYTHON, ['-c', 'import cv2; print(cv2.__version__)'], { encoding: 'utf8' }).trim();
}

/** OpenCV cannot load or run a model: its own message. */
export class OpenCvError extends Error {}

export const OPENCV_DNN: Runtime = {
  name: 'OpenCV DNN',
  threads: RUNTIME_THREADS,
  async run(model, job) {
    const dir = mkdtempSync(join(tmpdir(), 'tsm-opencv-'));
    try {
      const steps = job.steps.map((step, i) => ({
        inputs: Object.fromEntries(
          Object.entries(step).map(([name, f]) => {
            const file = join(dir, `in${i}.${name}.f32`);
            writeFileSync(file, f.data);
            return [name, { file, shape: f.shape }];
          }),
        ),
      }));
      const spec = join(dir, 'job.json');
      writeFileSync(
        spec,
        JSON.stringify({
          model,
          threads: RUNTIME_THREADS,
          outputs: job.outputs,
          steps,
          carry: job.carry ?? [],
          out: dir,
        }),
      );
      const run = spawnSync(PYTHON, [OPENCV_SCRIPT, spec], { encoding: 'utf8' });
      const last = run.stdout.trim().split('\n').pop() ?? '';
      const reply = last.startsWith('{') ? JSON.parse(last) : undefined;
      if (run.status === 3 && reply?.error) throw new OpenCvError(reply.error);
      if (run.status !== 0 || !reply)
        throw new Error(`opencv_run.py exited ${run.status}: ${run.stderr.trim().slice(-2000)}`);
      const outputs = job.steps.map((_, i) =>
        Object.fromEntries(job.outputs.map((name) => [name, readF32(join(dir, `step${i}.${name}.f32`))])),
      );
      return { outputs, ms: reply.ms };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
