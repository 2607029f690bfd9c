// onnx-proto (which tsm/runtime reads a model's metadata with) is CommonJS, and a page without a bundler imports ES
// modules only: this module runs its two CommonJS files (onnx-proto's and protobufjs/minimal's browser build) with a
// `require` that knows just that one dependency. The import map in index.html points `onnx-proto` here; an app with a
// bundler needs none of this.
const nodeModules = new URL('../node_modules/', import.meta.url);

async function source(...candidates) {
  for (const path of candidates) {
    const response = await fetch(new URL(path, nodeModules));
    if (response.ok) return response.text();
  }
  throw new Error(`onnx-proto shim: none of ${candidates.join(', ')} under ${nodeModules.href}`);
}

function runCommonJs(code, dependencies) {
  const module = { exports: {} };
  const require = (name) => {
    if (name in dependencies) return dependencies[name];
    throw new Error(`onnx-proto shim: no module ${name}`);
  };
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  return module.exports;
}

// onnx-proto's own protobufjs (6.x, nested) where npm put it there, else a hoisted one
const protobuf = runCommonJs(
  await source(
    'onnx-proto/node_modules/protobufjs/dist/minimal/protobuf.min.js',
    'protobufjs/dist/minimal/protobuf.min.js',
  ),
  {},
);
export default runCommonJs(await source('onnx-proto/dist/onnx.js'), { 'protobufjs/minimal': protobuf });
