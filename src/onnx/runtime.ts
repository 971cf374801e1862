// The onnxruntime that runs a traced model: onnxruntime-node in Node, onnxruntime-web elsewhere, loaded
// with a dynamic import the first time a trace needs it (both are optional peer dependencies of lowp:
// the formats core never loads them), or given by the caller. lowp uses a small structural subset of
// onnxruntime's API, declared here, so that its types do not depend on onnxruntime being installed.
import { TraceError } from './errors.js';

/**
 * A tensor as onnxruntime creates and returns it (the part lowp uses).
 *
 * @example
 * ```ts
 * const t: OrtTensorLike = new ort.Tensor('float32', new Float32Array(4), [2, 2]);
 * ```
 */
export interface OrtTensorLike {
  /** Element type ('float32', 'float16', 'int64'...). */
  readonly type: string;
  /** The values (for 'float16': Uint16Array bit patterns or a Float16Array). */
  readonly data: unknown;
  /** Dimensions. */
  readonly dims: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Releases the tensor's memory, where the runtime needs it. */
  dispose?(): void;
}

/**
 * The metadata onnxruntime gives for one input or output of a session.
 *
 * @example
 * ```ts
 * for (const m of session.inputMetadata) if (m.isTensor) console.log(m.name, m.type, m.shape);
 * ```
 */
export interface OrtValueMetadata {
  /** Value name. */
  readonly name: string;
  /** Whether the value is a tensor. */
  readonly isTensor: boolean;
  /** Element type of a tensor ('float32', 'int64'...). */
  readonly type?: string;
  /** Dimensions of a tensor: numbers, or symbolic names where not fixed. */
  readonly shape?: readonly (number | string)[];
}

/**
 * An onnxruntime inference session (the part lowp uses).
 *
 * @example
 * ```ts
 * const session: OrtSessionLike = await ort.InferenceSession.create(bytes);
 * ```
 */
export interface OrtSessionLike {
  /** Input names. */
  readonly inputNames: readonly string[];
  /** Output names. */
  readonly outputNames: readonly string[];
  /** Input metadata (onnxruntime >= 1.21). */
  readonly inputMetadata?: readonly OrtValueMetadata[];
  /** Output metadata (onnxruntime >= 1.21). */
  readonly outputMetadata?: readonly OrtValueMetadata[];
  /** Runs the model: feeds by input name, the outputs to fetch. */
  run(feeds: Record<string, OrtTensorLike>, fetches: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  /** Releases the session. */
  release(): Promise<void>;
}

/**
 * The onnxruntime module lowp runs models with (`import * as ort from 'onnxruntime-node'` or
 * `'onnxruntime-web'`), as far as lowp uses it.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * import { traceActivations } from 'lowp/onnx';
 * await traceActivations(bytes, inputs, { to: 'fp16', runtime: ort });
 * ```
 */
export interface OrtModuleLike {
  /** The session factory. */
  readonly InferenceSession: OrtSessionFactory;
  /** The tensor constructor. */
  readonly Tensor: OrtTensorConstructor;
  /** The runtime's environment (its versions), where the module has it. */
  readonly env?: OrtEnvLike;
}

/**
 * onnxruntime's `InferenceSession` class, as far as lowp uses it.
 *
 * @example
 * ```ts
 * const factory: OrtSessionFactory = ort.InferenceSession;
 * ```
 */
export interface OrtSessionFactory {
  /**
   * Creates a session from model bytes or a path.
   *
   * @param model - the model
   * @param options - session options
   */
  create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSessionLike>;
}

/**
 * onnxruntime's `Tensor` class, as far as lowp uses it.
 *
 * @example
 * ```ts
 * const T: OrtTensorConstructor = ort.Tensor;
 * const t = new T('int64', new BigInt64Array(4), [1, 4]);
 * ```
 */
export interface OrtTensorConstructor {
  /**
   * A tensor of `type` holding `data` with dimensions `dims`.
   *
   * @param type - element type ('float32', 'int64'...)
   * @param data - the values
   * @param dims - dimensions
   */
  new (type: string, data: unknown, dims?: readonly number[]): OrtTensorLike;
}

/**
 * onnxruntime's `env`, as far as lowp uses it.
 *
 * @example
 * ```ts
 * ort.env.versions; // { common: '1.30.0', node: '1.30.0' }
 * ```
 */
export interface OrtEnvLike {
  /** Package versions by component. */
  readonly versions?: Readonly<Record<string, string>>;
}

/**
 * The loaded runtime and its name, for reports.
 *
 * @example
 * ```ts
 * const { ort, name, version } = await loadRuntime(); // name: 'onnxruntime-node', version: '1.30.0'
 * ```
 */
export interface LoadedRuntime {
  /** The module. */
  ort: OrtModuleLike;
  /** 'onnxruntime-node', 'onnxruntime-web', or 'given' for a module the caller passed. */
  name: string;
  /** Its version, when known. */
  version: string | undefined;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Imports a package by a name the bundler must not resolve at build time (an optional peer dependency). */
function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

function versionOf(m: OrtModuleLike): string | undefined {
  const v = m.env?.versions;
  return v?.node ?? v?.web ?? v?.common;
}

/**
 * The onnxruntime to run a model with: `given` when the caller passes one, else onnxruntime-node (Node)
 * or onnxruntime-web (elsewhere), imported now. Throws a {@link TraceError} (`RUNTIME_MISSING`) saying
 * how to install it when it is absent.
 *
 * @example
 * ```ts
 * const { ort, name } = await loadRuntime();
 * ```
 */
export async function loadRuntime(given?: OrtModuleLike): Promise<LoadedRuntime> {
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null || typeof given.InferenceSession?.create !== 'function' || typeof given.Tensor !== 'function') {
      throw new TypeError('expected options.runtime to be the onnxruntime module (import * as ort from "onnxruntime-node" or "onnxruntime-web"), got something without InferenceSession.create and Tensor');
    }
    return { ort: given, name: 'given', version: versionOf(given) };
  }
  const name = isNode() ? 'onnxruntime-node' : 'onnxruntime-web';
  let mod: unknown;
  try {
    mod = await importOptional(name);
  } catch (e) {
    throw new TraceError('RUNTIME_MISSING', `expected ${name} to run the model (an optional peer dependency of lowp: npm install ${name}@1.30.0), got an import error: ${(e as Error).message ?? String(e)}`);
  }
  const m = ((mod as { default?: OrtModuleLike }).default?.InferenceSession !== undefined ? (mod as { default: OrtModuleLike }).default : mod) as OrtModuleLike;
  if (typeof m?.InferenceSession?.create !== 'function') {
    throw new TraceError('RUNTIME_MISSING', `expected ${name} to export InferenceSession, got a module without it`);
  }
  return { ort: m, name, version: versionOf(m) };
}
