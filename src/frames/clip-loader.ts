/**
 * Loads a batch of clips (src/frames/clip.ts) into the batch's input buffer, on this thread or on a worker thread.
 * onnxruntime-node runs a session synchronously on the main thread, so only a worker can load batch b + 1 while
 * batch b runs. The worker gets the buffer by transfer (no copy) and hands it back filled.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { asTsmError, type ErrorCode, type ErrorFamily, TsmError } from '../errors.js';
import { type ClipJob, loadClipViews, type MissingFrame } from './clip.js';
import { loadMmActionViews } from './mmaction2-clip.js';

export interface ClipLoadResult {
  /** false when the clip cannot be read (its slot of the buffer is then garbage) */
  readonly ok: boolean;
  readonly missing: readonly MissingFrame[];
  readonly reason?: string;
}

export interface BatchLoad {
  /** the batch's input: the buffer given to `load`, or, after a trip to a worker, a new view of the same memory */
  readonly input: Float32Array;
  readonly clips: readonly ClipLoadResult[];
}

export type LoaderThread = 'main thread' | 'worker thread';

/**
 * Where clips load when the caller leaves it to tsm: on a worker only if the machine has a core that the session's
 * threads leave free. Where the session fills every core, a loading worker preempts its threads mid-operator; on 2
 * cores with 2 session threads, bench:verify measured the worker at 0.74× pure inference and the main thread at 0.81×.
 */
export function chooseLoaderThread(
  requested: 'worker' | 'main' | 'auto' | undefined,
  sessionThreads: number,
  cores: number,
): 'worker' | 'main' {
  if (requested === 'worker' || requested === 'main') return requested;
  return cores > sessionThreads ? 'worker' : 'main';
}

export interface ClipLoader {
  readonly thread: LoaderThread;
  /** clip k goes to input[k·slot, (k+1)·slot); `input` must span its whole ArrayBuffer, and is unusable until this
   * resolves */
  load(jobs: readonly ClipJob[], input: Float32Array, slot: number): Promise<BatchLoad>;
  close(): Promise<void>;
}

/** The clips of a batch, loaded into it: what the worker runs, and the main-thread loader. */
export async function loadBatch(
  jobs: readonly ClipJob[],
  input: Float32Array,
  slot: number,
): Promise<ClipLoadResult[]> {
  // concurrently: a video clip waits on its ffmpeg process
  return Promise.all(
    jobs.map(async (job, k) => {
      const into = input.subarray(k * slot, (k + 1) * slot);
      const r = job.mmaction2 ? await loadMmActionViews(job, job.mmaction2, into) : await loadClipViews(job, into);
      return { ok: r.views !== null, missing: r.missing, reason: r.reason };
    }),
  );
}

export function mainThreadLoader(): ClipLoader {
  return {
    thread: 'main thread',
    load: async (jobs, input, slot) => ({ input, clips: await loadBatch(jobs, input, slot) }),
    close: async () => {},
  };
}

/** A TsmError (or any error) as plain data across the thread boundary, and back. */
export interface SerializedError {
  readonly family: ErrorFamily;
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  const e = asTsmError(err); // anything not a TsmError is a bug, as on the main thread
  const stack = (e.cause instanceof Error ? e.cause : e).stack;
  return { family: e.family, code: e.code, message: e.message, hint: e.hint, details: e.details, stack };
}

function deserializeError(e: SerializedError): TsmError {
  const err = new TsmError(e.family, e.code, e.message, { hint: e.hint, details: e.details });
  if (e.stack) err.stack = e.stack;
  return err;
}

export interface WorkerRequest {
  readonly id: number;
  readonly jobs: readonly ClipJob[];
  readonly buffer: ArrayBuffer;
  readonly slot: number;
}
export type WorkerReply =
  | { readonly id: number; readonly buffer: ArrayBuffer; readonly clips: readonly ClipLoadResult[] }
  | { readonly id: number; readonly buffer: ArrayBuffer; readonly error: SerializedError };

const WORKER_MODULE = new URL('./clip-worker.js', import.meta.url);

/** The process's one clip-loading worker thread, shared by every verify (each gets its own ClipLoader on it). */
interface SharedWorker {
  readonly worker: Worker;
  readonly waiting: Map<number, { resolve: (r: BatchLoad) => void; reject: (e: unknown) => void }>;
  /** keeps the process alive only while a batch is pending on the worker: an idle one never does */
  readonly settle: () => void;
  nextId: number;
  failed?: TsmError;
}

let shared: SharedWorker | null | undefined;

/**
 * A loader on this process's worker thread, or undefined when its compiled module is not beside this one (tsm run
 * from its TypeScript sources, as the unit tests do): the caller then loads on the main thread. One worker serves
 * every verify of the process, so its compiled (tiered-up) WebAssembly decoders and kernels stay warm between runs;
 * each call returns a loader of its own, whose close() drops only its own pending batches (verifies may overlap).
 */
export function workerLoader(): ClipLoader | undefined {
  if (shared === undefined) shared = existsSync(fileURLToPath(WORKER_MODULE)) ? startWorker() : null;
  if (!shared) return undefined;
  const w = shared;
  const mine = new Set<number>();
  return {
    thread: 'worker thread',
    load(jobs, input, slot) {
      if (w.failed) return Promise.reject(w.failed);
      if (input.byteOffset !== 0 || input.byteLength !== input.buffer.byteLength) {
        return Promise.reject(
          new TsmError(
            'bug',
            'E_WORKER',
            `a batch buffer must span its ArrayBuffer (offset ${input.byteOffset}, ${input.byteLength} of ` +
              `${input.buffer.byteLength} bytes)`,
          ),
        );
      }
      const id = w.nextId++;
      mine.add(id);
      return new Promise<BatchLoad>((resolve, reject) => {
        w.waiting.set(id, {
          resolve: (r) => {
            mine.delete(id);
            resolve(r);
          },
          reject: (e) => {
            mine.delete(id);
            reject(e);
          },
        });
        w.worker.ref();
        const request: WorkerRequest = { id, jobs, buffer: input.buffer as ArrayBuffer, slot };
        w.worker.postMessage(request, [input.buffer as ArrayBuffer]);
      });
    },
    // the worker outlives a verify; this verify's pending batches (a failed one's) are dropped, no one else's
    close: async () => {
      for (const id of mine) w.waiting.delete(id);
      mine.clear();
      w.settle();
    },
  };
}

function startWorker(): SharedWorker {
  const worker = new Worker(WORKER_MODULE);
  const waiting: SharedWorker['waiting'] = new Map();
  const state: SharedWorker = {
    worker,
    waiting,
    settle: () => {
      if (!waiting.size) worker.unref();
    },
    nextId: 0,
  };
  const failAll = (err: TsmError) => {
    state.failed = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    state.settle();
    if (!w) return; // a closed verify's batch
    if ('error' in reply) w.reject(deserializeError(reply.error));
    else w.resolve({ input: new Float32Array(reply.buffer), clips: reply.clips });
  });
  worker.on('error', (err) => failAll(asTsmError(err)));
  worker.on('exit', (code) => {
    if (shared === state) shared = undefined; // the next verify starts a new one
    failAll(
      new TsmError(
        'bug',
        'E_WORKER',
        `the clip-loading worker thread exited (code ` +
          `${code})${waiting.size ? ` with ${waiting.size} batch(es) pending` : ''}`,
      ),
    );
  });
  state.settle(); // after the listeners: adding a 'message' listener refs the worker again
  return state;
}
