/**
 * A small builder of ONNX graphs on top of onnx-proto (the ONNX schema as protobufjs code): named
 * initializers (float32 or int64, little-endian raw data), nodes with typed attributes, and typed
 * graph inputs and outputs with a symbolic batch dimension. Every value name is unique (ONNX
 * graphs are single-assignment); a second value of one name throws. Encoding is onnx-proto's.
 */
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import { InvalidArgumentError } from '../errors.js';

const { onnx } = onnxProto;

/** The element types an exported graph uses. */
export type OnnxDtype = 'float32' | 'int64';

/** One dimension of a graph input or output: a fixed size, or a symbolic name ('batch'). */
export type OnnxDim = number | string;

/** A graph input or output: its name, element type, shape and what it means. */
export interface OnnxValue {
  name: string;
  dtype: OnnxDtype;
  shape: OnnxDim[];
  doc: string;
}

/** A node attribute: an integer, a float, or a list of integers (all that the exported ops take). */
export type OnnxAttribute = { int: number } | { float: number } | { ints: number[] };

const DATA_TYPE: Record<OnnxDtype, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** float32 values as ONNX raw data: little-endian, whatever the platform's byte order. */
function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** int64 values as ONNX raw data (each a safe integer). */
function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

function attributeProto(name: string, value: OnnxAttribute): Onnx.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('float' in value) return { name, type: type.FLOAT, f: value.float };
  return { name, type: type.INTS, ints: value.ints };
}

function valueInfo(value: OnnxValue): Onnx.IValueInfoProto {
  const dim = value.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: value.name, docString: value.doc, type: { tensorType: { elemType: DATA_TYPE[value.dtype], shape: { dim } } } };
}

export class OnnxGraph {
  private readonly nodes: Onnx.INodeProto[] = [];
  private readonly initializers: Onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly inputs: OnnxValue[] = [];
  private readonly outputs: OnnxValue[] = [];

  /** Declares a graph input; returns its name. */
  input(value: OnnxValue): string {
    this.claim(value.name);
    this.inputs.push(value);
    return value.name;
  }

  /** Declares a value already in the graph (a node's output or an initializer) as a graph output. */
  output(value: OnnxValue): void {
    if (!this.names.has(value.name)) throw new InvalidArgumentError(`ONNX graph: output '${value.name}' is not a value of the graph`);
    this.outputs.push(value);
  }

  /** A float32 initializer (values rounded to float32, row-major); returns its name. */
  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.checkSize(name, dims, values.length);
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], dataType: DATA_TYPE.float32, rawData: float32Bytes(values) });
    return name;
  }

  /** An int64 initializer; returns its name. */
  int64s(name: string, dims: readonly number[], values: readonly number[]): string {
    this.checkSize(name, dims, values.length);
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], dataType: DATA_TYPE.int64, rawData: int64Bytes(values) });
    return name;
  }

  /** A node of the default ONNX domain with one output, named `output`; returns that name. */
  node(opType: string, inputs: readonly string[], output: string, attributes: Record<string, OnnxAttribute> = {}): string {
    for (const input of inputs) {
      if (!this.names.has(input)) throw new InvalidArgumentError(`ONNX graph: ${opType} '${output}' reads '${input}', which no earlier node, initializer or input defines`);
    }
    this.claim(output);
    const attribute = Object.entries(attributes).map(([name, value]) => attributeProto(name, value));
    this.nodes.push({ opType, name: `${opType}:${output}`, input: [...inputs], output: [output], attribute });
    return output;
  }

  /** The graph inputs and outputs declared so far. */
  signature(): { inputs: OnnxValue[]; outputs: OnnxValue[] } {
    return { inputs: [...this.inputs], outputs: [...this.outputs] };
  }

  /** The model: this graph at `opset` of the default domain, with the model's own fields. */
  encodeModel(model: { graphName: string; opset: number; irVersion: number; producerName: string; producerVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array {
    const graph: Onnx.IGraphProto = {
      name: model.graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    };
    const proto: Onnx.IModelProto = {
      irVersion: model.irVersion,
      opsetImport: [{ domain: '', version: model.opset }],
      producerName: model.producerName,
      producerVersion: model.producerVersion,
      docString: model.docString,
      graph,
      metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    };
    const problem = onnx.ModelProto.verify(proto);
    if (problem !== null) throw new InvalidArgumentError(`ONNX graph: the model does not fit the ONNX schema: ${problem}`);
    return onnx.ModelProto.encode(proto).finish();
  }

  private claim(name: string): void {
    if (name === '' || this.names.has(name)) throw new InvalidArgumentError(`ONNX graph: the value name '${name}' is ${name === '' ? 'empty' : 'taken'}`);
    this.names.add(name);
  }

  private checkSize(name: string, dims: readonly number[], length: number): void {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== length) throw new InvalidArgumentError(`ONNX graph: initializer '${name}' of shape [${dims.join(', ')}] needs ${size} values, got ${length}`);
  }
}
