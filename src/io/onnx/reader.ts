// An ONNX model as a TensorReader: its initializers (those of the main graph, then those of If/Loop/Scan
// bodies, with unique names) listed as tensors and read on demand from raw_data, a typed field or an
// external data file, so `lowp check model.onnx` treats a model's weights like any checkpoint. Opening
// decodes the model's structure (model.ts), checks every initializer (tensors.ts) and every external
// data reference (external.ts) before returning; no tensor value is read until asked for.
import { describeValue } from '../../core/describe.js';
import { elementCodec, type ElementCodec } from '../elements.js';
import { OnnxError, quoteName } from '../errors.js';
import { requireNodePath } from '../node-fs.js';
import { TensorReaderBase, type TensorInfo } from '../reader.js';
import { closeOnFailure, readExactInto, toByteSource, type ByteSource, type SourceInput } from '../source.js';
import { checkExternalDataOption, checkLocation, ExternalFiles, type ExternalDataOption } from './external.js';
import { decodeModelFrom, type OnnxDecodeOptions, type OnnxGraph, type OnnxModel, type OnnxTensorProto } from './model.js';
import { checkTensor, countTypedUnits, TypedFieldReader, type OnnxStorage } from './tensors.js';

/**
 * One initializer of an ONNX model, as {@link OnnxFile} lists it.
 *
 * @example
 * ```ts
 * for (const t of onnx.tensors) console.log(t.name, t.dtype, t.onnxType, t.storage, t.graph);
 * ```
 */
export interface OnnxTensorInfo extends TensorInfo {
  /** The `TensorProto.DataType` number. */
  readonly onnxType: number;
  /** Where the values are: `'raw'` (raw_data), `'typed'` (float_data, int32_data...), `'external'`, `'empty'` (no elements), `'unread'` (a type lowp/io lists but does not read). */
  readonly storage: 'raw' | 'typed' | 'external' | 'empty' | 'unread';
  /** The graph that holds it: `''` for the main graph, else the subgraph's path (see {@link OnnxFile}). */
  readonly graph: string;
  /** The initializer's name as written in its graph (`name` is made unique across graphs). */
  readonly onnxName: string;
  /** For external data: where the bytes are. */
  readonly external: OnnxExternalRef | undefined;
}

/**
 * Where the bytes of an initializer stored as external data are.
 *
 * @example
 * ```ts
 * const ref = onnx.info('emb.weight').external; // { location: 'model.onnx.data', offset: 0, length: 32768, checksum: undefined }
 * ```
 */
export interface OnnxExternalRef {
  /** The data file's location, normalised (relative to the model's folder, `/` separators). */
  readonly location: string;
  /** Offset of the first byte in the data file. */
  readonly offset: number;
  /** Bytes. */
  readonly length: number;
  /** The `checksum` entry (SHA-1 of the data file, hex) when the model gives one; recorded, not verified. */
  readonly checksum: string | undefined;
}

/**
 * Options of {@link openOnnx}.
 *
 * @example
 * ```ts
 * await openOnnx(bytes, { name: 'model.onnx', externalData: { 'model.onnx.data': dataBytes } });
 * ```
 */
export interface OnnxOpenOptions extends OnnxDecodeOptions {
  /**
   * Where external data files are (see {@link ExternalDataOption}). Default for a model opened by
   * path: the model's folder; for bytes or a Blob: none (a model with external data is then refused
   * with code `EXTERNAL_DATA`).
   */
  externalData?: ExternalDataOption;
  /** List the initializers of If/Loop/Scan bodies too (default true). */
  subgraphs?: boolean;
}

/** What the reader keeps per tensor to read it. */
interface Located {
  storage: OnnxStorage;
  source: ByteSource | undefined;
  typed: TypedFieldReader | undefined;
}

/** Separator between the parts of a subgraph's path in tensor names. */
export const SUBGRAPH_SEPARATOR = '::';

/**
 * An ONNX model opened for reading its initializers, as a {@link TensorReader}. Create it with
 * {@link openOnnx} or {@link openCheckpoint}. `model` is the decoded structure (nodes, inputs, outputs,
 * opsets).
 *
 * Tensor names: the initializers of the main graph keep their names; those of subgraphs (the GRAPH and
 * GRAPHS attributes of If, Loop, Scan and any other node) are named `<path>::<name>`, where the path
 * lists, from the main graph down, `<node>::<attribute>` for each level (`<node>` is the node's name, or
 * `<op_type>#<index>` when it has none; a GRAPHS attribute adds `[i]`), e.g. `If_3::then_branch::w`. A
 * name that is still taken gets `~2`, `~3`... in file order.
 *
 * @example
 * ```ts
 * import { openOnnx } from 'lowp/io';
 * const onnx = await openOnnx('model.onnx');
 * console.log(onnx.model.graph.nodes.length, 'nodes');
 * for (const t of onnx.tensors) console.log(t.name, t.dtype, t.shape);
 * const w = await onnx.readFloat(onnx.tensors[0].name);
 * await onnx.close();
 * ```
 */
export class OnnxFile extends TensorReaderBase<OnnxTensorInfo> {
  /** The decoded model (tensor values located, not read). */
  readonly model: OnnxModel;
  private readonly source: ByteSource;
  private readonly owned: boolean;
  private readonly located: Map<string, Located>;
  private readonly externals: ExternalFiles;

  /** Use {@link openOnnx} instead. */
  private constructor(source: ByteSource, owned: boolean, model: OnnxModel, tensors: OnnxTensorInfo[], located: Map<string, Located>, externals: ExternalFiles, metadata: Record<string, string>) {
    super({ format: 'onnx', name: source.name, metadata, tensors, errors: OnnxError });
    this.model = model;
    this.source = source;
    this.owned = owned;
    this.located = located;
    this.externals = externals;
  }

  /** Builds the reader over a source already opened (what {@link openOnnx} calls). */
  static async create(source: ByteSource, owned: boolean, options: OnnxOpenOptions | undefined): Promise<OnnxFile> {
    const name = options?.name ?? source.name;
    return closeOnFailure(source, owned, async () => {
      checkExternalDataOption(options?.externalData);
      // a model opened by path (owned: a file source named by its path) finds external data next to it
      const folder = owned && source.name !== undefined ? requireNodePath((m) => new OnnxError('NO_FS', m, name)).dirname(source.name) : undefined;
      const externals = new ExternalFiles(options?.externalData ?? folder, name);
      try {
        const model = await decodeModelFrom(source, { ...options, name });
        if (!model.hasGraph) throw new OnnxError('MODEL', 'expected a ModelProto with a graph, got none (is this an ONNX model?)', name);
        const listed = listInitializers(model.graph, options?.subgraphs !== false, name);
        const tensors: OnnxTensorInfo[] = [];
        const located = new Map<string, Located>();
        for (const { tensor, name: label, graph } of listed) {
          for (const d of tensor.typed) if (d.segments.some((s) => s.count < 0)) await countTypedUnits(source, d);
          const c = checkTensor(tensor, label, name);
          let src: ByteSource | undefined = source;
          let external: OnnxTensorInfo['external'];
          let storage = c.storage;
          if (storage.kind === 'external') {
            const location = checkLocation(storage.location, label, name);
            src = await externals.source(location, label);
            if (storage.offset + storage.length > src.size) {
              throw new OnnxError('EXTERNAL_DATA', `expected ${storage.length} bytes at offset ${storage.offset} of '${location}' for tensor '${label}', got a file of ${src.size} bytes`, name);
            }
            external = Object.freeze({ location, offset: storage.offset, length: storage.length, checksum: storage.checksum });
            storage = { ...storage, location };
            if (storage.length === 0) storage = { kind: 'empty' };
          }
          const typed = storage.kind === 'typed' ? new TypedFieldReader(source, storage.data, c.dtype, tensor.dataType, label) : undefined;
          located.set(label, { storage, source: src, typed });
          tensors.push(Object.freeze({
            name: label,
            dtype: c.dtype,
            shape: Object.freeze([...tensor.dims]),
            elements: c.elements,
            byteLength: c.byteLength,
            onnxType: tensor.dataType,
            storage: c.storage.kind === 'external' ? 'external' : storage.kind,
            graph,
            onnxName: tensor.name,
            external,
          }));
        }
        return new OnnxFile(source, owned, model, tensors, located, externals, modelMetadata(model));
      } catch (e) {
        await externals.close();
        throw e;
      }
    });
  }

  protected override codecOf(t: OnnxTensorInfo): ElementCodec {
    if (t.storage === 'unread') {
      throw new OnnxError('DTYPE', `expected a tensor of a type lowp/io reads, got ${quoteName(t.name)} of ONNX type ${t.dtype} (listed, not read)`, this.name);
    }
    return elementCodec(t.dtype);
  }

  protected async readRaw(t: OnnxTensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    const loc = this.located.get(t.name) as Located;
    const s = loc.storage;
    switch (s.kind) {
      case 'raw':
      case 'external':
        // loc.source: the model's file for raw_data, the data file for external data
        await readExactInto(loc.source as ByteSource, s.offset + byteStart, target, OnnxError);
        return;
      case 'typed': {
        const unitBytes = this.codecOf(t).unitBytes;
        await (loc.typed as TypedFieldReader).read(byteStart / unitBytes, target, unitBytes);
        return;
      }
      case 'empty':
        return;
      default:
        this.codecOf(t);
    }
  }

  protected async release(): Promise<void> {
    await this.externals.close();
    if (this.owned) await this.source.close?.();
  }
}

/** The model's string metadata: its own metadata_props, then lowp's `onnx.*` summary keys. */
function modelMetadata(m: OnnxModel): Record<string, string> {
  const meta: Record<string, string> = Object.create(null);
  for (const { key, value } of m.metadataProps) meta[key] = value;
  meta['onnx.ir_version'] = String(m.irVersion);
  meta['onnx.producer'] = `${m.producerName}${m.producerVersion ? ' ' + m.producerVersion : ''}`;
  meta['onnx.opset'] = m.opsetImports.map((o) => `${o.domain === '' ? 'ai.onnx' : o.domain}:${o.version}`).join(',');
  meta['onnx.graph'] = m.graph.name;
  meta['onnx.nodes'] = String(m.graph.nodes.length);
  if (m.graph.sparseInitializers > 0) meta['onnx.sparse_initializers'] = String(m.graph.sparseInitializers);
  return meta;
}

/** Every initializer to list, in order (main graph first, then subgraphs depth-first), with unique names. */
function listInitializers(main: OnnxGraph, subgraphs: boolean, file: string | undefined): { tensor: OnnxTensorProto; name: string; graph: string }[] {
  const out: { tensor: OnnxTensorProto; name: string; graph: string }[] = [];
  const taken = new Set<string>();
  const unique = (n: string): string => {
    let u = n;
    for (let k = 2; taken.has(u); k++) u = `${n}~${k}`;
    taken.add(u);
    return u;
  };
  // main graph initializers first, with their own names (a repeated name is an invalid model)
  for (const t of main.initializers) {
    if (taken.has(t.name)) throw new OnnxError('MODEL', `expected unique initializer names, got ${quoteName(t.name)} twice`, file);
    taken.add(t.name);
    out.push({ tensor: t, name: t.name, graph: '' });
  }
  if (!subgraphs) return out;
  // explicit stack, depth-first in file order (nesting is bounded by the decoder's depth limit)
  const stack: { graph: OnnxGraph; path: string }[] = [];
  const pushChildren = (g: OnnxGraph, path: string): void => {
    const children: { graph: OnnxGraph; path: string }[] = [];
    g.nodes.forEach((n, i) => {
      const nodeName = n.name !== '' ? n.name : `${n.opType}#${i}`;
      const base = path === '' ? nodeName : `${path}${SUBGRAPH_SEPARATOR}${nodeName}`;
      for (const a of n.attributes) {
        if (a.g !== undefined) children.push({ graph: a.g, path: `${base}${SUBGRAPH_SEPARATOR}${a.name}` });
        a.graphs?.forEach((sg, k) => children.push({ graph: sg, path: `${base}${SUBGRAPH_SEPARATOR}${a.name}[${k}]` }));
      }
    });
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]);
  };
  pushChildren(main, '');
  while (stack.length > 0) {
    const { graph, path } = stack.pop() as { graph: OnnxGraph; path: string };
    for (const t of graph.initializers) out.push({ tensor: t, name: unique(`${path}${SUBGRAPH_SEPARATOR}${t.name}`), graph: path });
    pushChildren(graph, path);
  }
  return out;
}

/**
 * Opens an ONNX model (a path in Node, bytes, a Blob or a ByteSource) and lists its initializers as
 * tensors: decodes the model's structure, checks every initializer (data type, dims, sizes) and every
 * external data reference, and reads no tensor values until asked. Throws {@link OnnxError}.
 *
 * @example
 * ```ts
 * import { openOnnx } from 'lowp/io';
 * const onnx = await openOnnx('model.onnx'); // external data next to it is found by location
 * for (const t of onnx.tensors) {
 *   for await (const { data } of onnx.chunks(t.name, { as: 'float32' })) {
 *     // data: Float32Array chunk of the initializer
 *   }
 * }
 * await onnx.close();
 * ```
 */
export async function openOnnx(input: SourceInput, options?: OnnxOpenOptions): Promise<OnnxFile> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`expected options as an object, got ${describeValue(options)}`);
  const { source, owned } = toByteSource(input, options?.name, OnnxError);
  return openOnnxFrom(source, owned, options);
}

/** {@link openOnnx} over a source already opened; `owned`: the reader closes it (now, on failure). */
export function openOnnxFrom(source: ByteSource, owned: boolean, options?: OnnxOpenOptions): Promise<OnnxFile> {
  return OnnxFile.create(source, owned, options);
}
