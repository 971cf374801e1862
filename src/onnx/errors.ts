// The error of lowp/onnx's activation trace: what went wrong around the model run (no runtime, an
// input that does not fit the model, a target format the trace cannot emulate, onnxruntime refusing
// the model), with a stable code and a one-line message. Errors reading the model file itself are
// lowp/io's OnnxError.
import { oneLine } from '../io/errors.js';

/**
 * Stable codes of {@link TraceError}.
 *
 * - `RUNTIME_MISSING`: onnxruntime-node (Node) or onnxruntime-web (browsers) is not installed.
 * - `RUNTIME`: onnxruntime refused the model or failed while running it (its message is included).
 * - `INPUT`: an input is missing, unknown to the model, or of the wrong type or shape; or a value
 *   needed to build one (a vocabulary size, a symbolic dimension) cannot be found.
 * - `FORMAT`: the target format cannot be traced or emulated (unknown, unsigned, or without subnormals),
 *   or cannot have the overflow policy asked for ('inf' in fp8-e4m3fn).
 * - `MODEL`: the graph cannot be traced (no float node output, a name the trace needs is taken).
 *
 * @example
 * ```ts
 * const code: TraceErrorCode = 'RUNTIME_MISSING';
 * ```
 */
export type TraceErrorCode = 'RUNTIME_MISSING' | 'RUNTIME' | 'INPUT' | 'FORMAT' | 'MODEL';

/**
 * Thrown by {@link traceActivations} when the trace cannot run; `code` is stable, `message` one line.
 *
 * @example
 * ```ts
 * import { traceActivations, TraceError } from 'lowp/onnx';
 * try {
 *   await traceActivations('model.onnx', {}, { to: 'fp16' });
 * } catch (e) {
 *   if (e instanceof TraceError && e.code === 'RUNTIME_MISSING') console.error(e.message);
 * }
 * ```
 */
export class TraceError extends Error {
  /** Stable machine-readable code. */
  readonly code: TraceErrorCode;

  /**
   * @param code - stable code, see {@link TraceErrorCode}
   * @param message - one line: what was expected and what came
   */
  constructor(code: TraceErrorCode, message: string) {
    super(oneLine(message, 600));
    this.name = 'TraceError';
    this.code = code;
  }
}
