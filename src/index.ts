/**
 * tsm's library API: each pipeline stage as a function over plain data
 * (bytes → Checkpoint → ArchSpec → ONNX bytes → file), plus verify and the model zoo.
 */
export * from './errors.js';
export { ERROR_CODES } from './error-codes.js';
export * from './pth/dtypes.js';
export * from './pth/tensor.js';
export {
  readCheckpoint,
  readCheckpointFile,
  detectFormat,
  type Checkpoint,
  type CheckpointFormat,
} from './pth/read.js';
export { summarizeCheckpoint, type CheckpointSummary, type TensorSummary } from './pth/summary.js';
export { findTsmName, parseTsmFileName, type NamedConfig, type TsmFileName } from './arch/naming.js';
export { detectArch, type ArchDetection, type ArchOverrides } from './arch/registry.js';
export type * from './model/spec.js';
export {
  buildTsnGraph,
  SUPPORTED_OPSETS,
  type BuiltGraph,
  type BuildOptions,
  type GraphPrecision,
} from './arch/graph.js';
export { countMacs } from './arch/macs.js';
export { summarizeArch } from './arch/summary.js';
export {
  convertCheckpoint,
  exportOnnxModel,
  type ConvertOptions,
  type ExportOptions,
  type ExportedModel,
  type ConvertResult,
  type ArchSpecSummary,
  type Preprocessing,
} from './convert/convert.js';
export {
  quantizeCheckpoint,
  exportInt8Model,
  calibrateActivations,
  type QuantizeOptions,
  type QuantizeResult,
  type CalibrationOptions,
  type QuantizationSummary,
} from './convert/quantize.js';
export {
  activationQuant,
  quantizeWeightsPerChannel,
  quantizeBias,
  RangeObserver,
  type ActivationRange,
} from './onnx/qdq.js';
export { verifyModel, type VerifyOptions, type VerifyResult } from './verify/verify.js';
export { createOrtRunner, readModelInfo, type Runner, type ModelInfo } from './inference/runner.js';
export { sampleClips, uniformIndices, type SamplingMode } from './frames/sampling.js';
export {
  scaleSizeFor,
  resolveScaleShortSide,
  scaleShortSideOf,
  type ScaleChoice,
  type DeclaredScale,
} from './model/preprocessing.js';
export { clipTensor, cropBoxes, loadScaledFrame, scaledSize, type ClipPreprocessing } from './frames/transforms.js';
export { computeMetrics, topK, type Metrics } from './verify/metrics.js';
export { JESTER_LABELS } from './data/jester.js';
export { IMAGENET_MEAN, IMAGENET_STD, preprocessingFor } from './model/preprocessing.js';
export {
  loadZoo,
  parseZoo,
  findModels,
  resolveModel,
  artifactPath,
  validateZooFile,
  schemaErrors,
  type ModelQuery,
} from './zoo/index.js';
export type * from './zoo/types.js';
export { publishModel, nextVersion, type PublishOptions, type PublishResult } from './zoo/publish.js';
export { downloadFile, type DownloadTarget, type DownloadResult } from './zoo/download.js';
export { renderModelCard } from './zoo/cards.js';
export { fetchModel, openZoo, defaultCacheDir, type CachedArtifact, type FetchOptions } from './zoo/cache.js';
export { JESTER_STREAMING, parseStreamingProtocol, type StreamingProtocol } from './model/streaming.js';
export { verifyStreamed, type StreamedVerifyOptions, type StreamedVerifyResult } from './verify/online.js';
export { flipLabelPairs, flipPermutation } from './verify/flip.js';
export { predict, type PredictOptions, type PredictResult, type Prediction } from './predict/predict.js';
export { decodeVideo, resolveFfmpeg, type DecodedVideo } from './video/ffmpeg.js';
export { openFrameSource, type FrameSource } from './frames/source.js';
export { extractFrames, findVideos, FRAME_LAYOUTS, type ExtractOptions, type ExtractResult } from './video/extract.js';
export { labelLists, sanitizeKineticsLabel, ANNOTATIONS, type LabelDataset, type LabelFiles } from './data/labels.js';
