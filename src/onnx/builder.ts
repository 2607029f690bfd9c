/**
 * A small deterministic ONNX graph builder (after onnx/helper.py's make_node / make_graph / make_tensor):
 * string-named edges, sorted attributes, initializer byte lengths checked against dims × item size.
 * Same inputs → byte-identical model.
 */
import onnxProto from 'onnx-proto';
import { TsmError } from '../errors.js';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values used here. */
export const ONNX_DTYPE = Object.freeze({ float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10 } as const);
export type OnnxElementType = keyof typeof ONNX_DTYPE;
const ITEM_SIZE: Record<OnnxElementType, number> = { float: 4, uint8: 1, int8: 1, int32: 4, int64: 8, float16: 2 };

/** AttributeProto.AttributeType */
const ATTR = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 });

export type AttributeValue =
  | number
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] };

export interface ValueInfo {
  readonly name: string;
  readonly elemType: OnnxElementType;
  /** a number is a fixed dim, a string a symbolic one */
  readonly shape: ReadonlyArray<number | string>;
}

interface Initializer {
  readonly name: string;
  readonly elemType: OnnxElementType;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

function rawOf(data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array): Uint8Array {
  // ONNX raw_data is little-endian, as is every platform tsm runs on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private readonly opCounts = new Map<string, number>();
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  /** shapes of intermediate edges that shape inference cannot derive (e.g. the symbolic batch after a Reshape) */
  readonly valueInfos: ValueInfo[] = [];

  /** A fresh edge name derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.names.has(name); i++) name = `${hint}_${i}`;
    this.names.add(name);
    return name;
  }

  input(info: ValueInfo): string {
    this.names.add(info.name);
    this.inputs.push(info);
    return info.name;
  }

  output(info: ValueInfo): void {
    this.outputs.push(info);
  }

  /** Declares the type and shape of an intermediate edge (graph.value_info). */
  declare(info: ValueInfo): string {
    this.valueInfos.push(info);
    return info.name;
  }

  initializer(
    name: string,
    elemType: OnnxElementType,
    dims: readonly number[],
    data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array,
  ): string {
    const raw = rawOf(data);
    const expected = dims.reduce((a, b) => a * b, 1) * ITEM_SIZE[elemType];
    if (raw.byteLength !== expected) {
      throw new TsmError(
        'bug',
        'E_INITIALIZER_SIZE',
        `initializer '${name}' has ${raw.byteLength} bytes for dims [${dims.join(', ')}] (${expected} expected)`,
      );
    }
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, elemType, dims: [...dims], raw });
    return unique;
  }

  int64s(name: string, values: readonly number[]): string {
    return this.initializer(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Adds a node; returns its output names (one unless `outputs` > 1). */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttributeValue> = {},
    options: { outputs?: number; name?: string; outputNames?: readonly string[] } = {},
  ): string[] {
    const count = (this.opCounts.get(op) ?? 0) + 1;
    this.opCounts.set(op, count);
    const base = options.name ?? `${op}_${count}`;
    const outputs = options.outputNames
      ? [...options.outputNames]
      : Array.from({ length: options.outputs ?? 1 }, (_, i) =>
          this.fresh(options.outputs && options.outputs > 1 ? `${base}_out${i}` : base),
        );
    for (const o of outputs) this.names.add(o);
    const attribute = Object.keys(attrs)
      .sort()
      .map((key) => encodeAttribute(key, attrs[key]));
    this.nodes.push({ name: this.fresh(`${base}_node`), opType: op, input: [...inputs], output: outputs, attribute });
    return outputs;
  }

  /** Convenience for single-output nodes. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}, name?: string): string {
    return this.node(op, inputs, attrs, { name })[0];
  }

  opHistogram(): Record<string, number> {
    return Object.fromEntries([...this.opCounts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  weightBytes(): number {
    return this.initializers.reduce((a, i) => a + i.raw.byteLength, 0);
  }

  /** The whole model in one buffer. */
  toModel(options: ModelOptions): Uint8Array {
    return concatModel(this.serialize(options));
  }

  /**
   * The model as a list of byte chunks that concatenate to a valid ModelProto, the initializers' raw data among them
   * as they are (no copy): a writer can stream a ResNet-50 without a second 94 MB buffer. Protobuf parsers accept
   * fields in any order, so the graph (field 7) goes last, and its initializers (field 5) after its other fields,
   * each framed by hand: tag, length, TensorProto header, then raw_data (field 9).
   */
  serialize(options: ModelOptions): SerializedModel {
    const head = onnx.ModelProto.encode(
      onnx.ModelProto.fromObject({
        irVersion: 8,
        producerName: 'tsm',
        producerVersion: options.producerVersion,
        docString: options.docString ?? '',
        opsetImport: [{ domain: '', version: options.opset }],
        metadataProps: Object.keys(options.metadata)
          .sort()
          .map((key) => ({ key, value: options.metadata[key] })),
      }),
    ).finish();
    const graphHead = onnx.GraphProto.encode(
      onnx.GraphProto.fromObject({
        name: options.graphName,
        node: this.nodes,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
        valueInfo: this.valueInfos.map(valueInfo),
      }),
    ).finish();
    const graphParts: Uint8Array[] = [graphHead];
    for (const i of this.initializers) {
      const tensorHead = onnx.TensorProto.encode(
        onnx.TensorProto.fromObject({ name: i.name, dataType: ONNX_DTYPE[i.elemType], dims: i.dims }),
      ).finish();
      const rawField = Uint8Array.of(...fieldHeader(9, i.raw.byteLength));
      graphParts.push(
        Uint8Array.of(...fieldHeader(5, tensorHead.byteLength + rawField.byteLength + i.raw.byteLength)),
        tensorHead,
        rawField,
        i.raw,
      );
    }
    const graphLength = graphParts.reduce((a, c) => a + c.byteLength, 0);
    const chunks = [head, Uint8Array.of(...fieldHeader(7, graphLength)), ...graphParts];
    return { chunks, byteLength: chunks.reduce((a, c) => a + c.byteLength, 0) };
  }
}

export interface ModelOptions {
  readonly opset: number;
  readonly producerVersion: string;
  readonly graphName: string;
  readonly docString?: string;
  readonly metadata: Record<string, string>;
}

/** Byte chunks whose concatenation is the model. */
export interface SerializedModel {
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
}

export function concatModel({ chunks, byteLength }: SerializedModel): Uint8Array {
  const out = new Uint8Array(byteLength);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Tag (field number, wire type 2: length-delimited) and length, both as protobuf varints. */
function fieldHeader(field: number, length: number): number[] {
  const out = [(field << 3) | 2];
  let n = length;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function encodeAttribute(name: string, value: AttributeValue): object {
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new TsmError('bug', 'E_ATTRIBUTE', `attribute '${name}' = ${value}: use { float } for floats`);
    return { name, type: ATTR.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: ATTR.INTS, ints: [...value] };
  if ('float' in (value as object)) return { name, type: ATTR.FLOAT, f: (value as { float: number }).float };
  return { name, type: ATTR.FLOATS, floats: [...(value as { floats: readonly number[] }).floats] };
}

function valueInfo(v: ValueInfo): object {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[v.elemType],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
