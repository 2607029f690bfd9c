/**
 * tsm's library API: each pipeline stage as a function over plain data
 * (bytes → Checkpoint → ArchSpec → ONNX bytes → file), plus verify and the model zoo.
 */

export {
  type BuildOptions,
  type BuiltGraph,
  buildTsnGraph,
  type GraphPrecision,
  SUPPORTED_OPSETS,
} from './arch/graph.js';
export { countMacs } from './arch/macs.js';
export { findTsmName, type NamedConfig, parseTsmFileName, type TsmFileName } from './arch/naming.js';
export { type ArchDetection, type ArchOverrides, detectArch } from './arch/registry.js';
export { summarizeArch } from './arch/summary.js';
export {
  type ArchSpecSummary,
  type ConvertOptions,
  type ConvertResult,
  convertCheckpoint,
  type ExportedModel,
  type ExportOptions,
  exportOnnxModel,
  type Preprocessing,
} from './convert/convert.js';
export {
  type CalibrationOptions,
  calibrateActivations,
  exportInt8Model,
  type QuantizationSummary,
  type QuantizeOptions,
  type QuantizeResult,
  quantizeCheckpoint,
} from './convert/quantize.js';
export { JESTER_LABELS } from './data/jester.js';
export { ANNOTATIONS, type LabelDataset, type LabelFiles, labelLists, sanitizeKineticsLabel } from './data/labels.js';
export { ERROR_CODES } from './error-codes.js';
export * from './errors.js';
export { type SamplingMode, sampleClips, uniformIndices } from './frames/sampling.js';
export { type FrameSource, openFrameSource } from './frames/source.js';
export { type ClipPreprocessing, clipTensor, cropBoxes, loadScaledFrame, scaledSize } from './frames/transforms.js';
export { createOrtRunner, type ModelInfo, type Runner, readModelInfo } from './inference/runner.js';
export {
  type DeclaredScale,
  IMAGENET_MEAN,
  IMAGENET_STD,
  preprocessingFor,
  resolveScaleShortSide,
  type ScaleChoice,
  scaleShortSideOf,
  scaleSizeFor,
} from './model/preprocessing.js';
export type * from './model/spec.js';
export { JESTER_STREAMING, parseStreamingProtocol, type StreamingProtocol } from './model/streaming.js';
export {
  type ActivationRange,
  activationQuant,
  quantizeBias,
  quantizeWeightsPerChannel,
  RangeObserver,
} from './onnx/qdq.js';
export { type Prediction, type PredictOptions, type PredictResult, predict } from './predict/predict.js';
export * from './pth/dtypes.js';
export {
  type Checkpoint,
  type CheckpointFormat,
  detectFormat,
  readCheckpoint,
  readCheckpointFile,
} from './pth/read.js';
export { type CheckpointSummary, summarizeCheckpoint, type TensorSummary } from './pth/summary.js';
export * from './pth/tensor.js';
export { flipLabelPairs, flipPermutation } from './verify/flip.js';
export { computeMetrics, type Metrics, topK } from './verify/metrics.js';
export { type StreamedVerifyOptions, type StreamedVerifyResult, verifyStreamed } from './verify/online.js';
export { type VerifyOptions, type VerifyResult, verifyModel } from './verify/verify.js';
export { type ExtractOptions, type ExtractResult, extractFrames, FRAME_LAYOUTS, findVideos } from './video/extract.js';
export { type DecodedVideo, decodeVideo, resolveFfmpeg } from './video/ffmpeg.js';
export { type CachedArtifact, defaultCacheDir, type FetchOptions, fetchModel, openZoo, zooUrlOf } from './zoo/cache.js';
export { renderModelCard } from './zoo/cards.js';
export { type DownloadResult, type DownloadTarget, downloadFile } from './zoo/download.js';
export { exportHf, type HfExportOptions, type HfExportResult } from './zoo/hf.js';
export {
  artifactPath,
  findModels,
  loadZoo,
  type ModelQuery,
  parseZoo,
  resolveModel,
  schemaErrors,
  validateZooFile,
} from './zoo/index.js';
export { describeZoo, locateZoo, PACKAGE_ZOO, type ZooLocation } from './zoo/locate.js';
export { nextVersion, type PublishOptions, type PublishResult, publishModel } from './zoo/publish.js';
export type * from './zoo/types.js';
