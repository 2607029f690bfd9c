/** tsm's library API: each pipeline stage as a function over plain data (bytes → checkpoint → arch → graph → bytes). */
export * from './errors.js';
export * from './pth/dtypes.js';
export * from './pth/tensor.js';
export { readCheckpoint, readCheckpointFile, detectFormat, type Checkpoint, type CheckpointFormat } from './pth/read.js';
export { summarizeCheckpoint, type CheckpointSummary, type TensorSummary } from './pth/summary.js';
