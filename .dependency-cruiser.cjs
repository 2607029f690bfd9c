/**
 * The stages of tsm and the one direction imports may run: a folder imports only from the folders below it. The
 * order is the architecture (docs/architecture.md draws it); `npm run lint` fails on any import that runs upwards,
 * sideways between peers, or in a circle.
 */
const LAYERS = [
  // the ground: errors, file input, version, test pause points, the WebAssembly kernels' bytes
  ['src/(errors|error-codes|io|version|test-points)\\.ts$', 'src/wasm/'],
  ['src/model/'], // plain data between stages: arch spec, preprocessing, streaming protocol, metadata keys
  ['src/pth/', 'src/config/'], // bytes → Checkpoint; config texts → data
  ['src/onnx/'], // the ONNX toolkit: builder, precision, folding, int8, atomic writes, reading a model back
  ['src/arch/'], // Checkpoint → ArchSpec → graph: key layouts, architecture and block modules, the registry
  ['src/data/'], // dataset layouts, clip lists, labels
  ['src/video/'], // ffmpeg
  ['src/frames/'], // files and pixels → normalised clip tensors
  ['src/inference/'], // onnxruntime sessions: batches, online steps
  ['src/stream/'], // the online frame loop
  ['src/convert/'], // checkpoint → ONNX file (float, fp16, int8)
  ['src/verify/'], // a model scored on a dataset
  ['src/zoo/'], // the model zoo
  ['src/predict/'], // one clip through one model
  ['src/runtime/'], // the app entry (tsm/runtime)
  ['src/cli/'],
  ['src/commands/', 'src/index\\.ts$'],
];

const rules = [];
LAYERS.forEach((layer, level) => {
  const above = LAYERS.slice(level + 1).flat();
  for (const from of layer) {
    if (above.length) {
      rules.push({
        name: `downward-only:${from}`,
        comment: `${from} is below ${above.join(', ')}: it may not import them`,
        severity: 'error',
        from: { path: `^${from}` },
        to: { path: above.map((p) => `^${p}`) },
      });
    }
    const peers = layer.filter((p) => p !== from);
    if (peers.length) {
      rules.push({
        name: `no-peer-import:${from}`,
        comment: `${from} and ${peers.join(', ')} stand side by side: neither imports the other`,
        severity: 'error',
        from: { path: `^${from}` },
        to: { path: peers.map((p) => `^${p}`) },
      });
    }
  }
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'files that import each other in a loop', from: {}, to: { circular: true } },
    {
      name: 'not-in-a-layer',
      severity: 'error',
      comment: 'every source file belongs to a layer of LAYERS (add a new folder there)',
      from: { path: '^src/', pathNot: LAYERS.flat().map((p) => `^${p}`) },
      to: {},
    },
    ...rules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
