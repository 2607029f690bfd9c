/**
 * The worker thread of src/frames/clip-loader.ts: loads each requested batch into the buffer it was sent, one batch
 * at a time in arrival order, and sends the buffer back.
 */
import { parentPort } from 'node:worker_threads';
import { loadBatch, serializeError, type WorkerReply, type WorkerRequest } from './clip-loader.js';
import { preprocessKernels } from './kernels.js';

const port = parentPort;
if (!port) throw new Error('clip-worker.js runs as a worker thread of src/frames/clip-loader.ts');
// compiled now, while the main thread is still reading the model, not on the first batch
preprocessKernels();
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = {
        id: request.id,
        buffer: request.buffer,
        clips: await loadBatch(request.jobs, new Float32Array(request.buffer), request.slot),
      };
    } catch (err) {
      reply = { id: request.id, buffer: request.buffer, error: serializeError(err) };
    }
    port.postMessage(reply, [request.buffer]);
  });
});
