// Inlining the taken branch of If nodes whose condition the trace knows, so that a merged decoder
// (optimum's decoder_model_merged.onnx keeps the whole decoder twice, in the two branches of an If on
// `use_cache_branch`) is traced node by node: the If node is replaced by the nodes and initializers of
// the branch its condition selects, and Identity nodes carry the branch's outputs to the If's outputs.
// The condition must be a graph input the run feeds (a bool tensor) or a bool initializer. The model is
// rebuilt field by field: every other field is copied byte for byte; ONNX forbids a subgraph to reuse
// a name of its outer graph, so the branch's names can join the main graph as they are. Nested Ifs are
// inlined in further rounds (at most MAX_ROUNDS).
import { decodeModelBytes, ONNX_DATA_TYPES, type OnnxGraph, type OnnxModel, type OnnxNode } from '../io/onnx/model.js';
import { writeNode } from '../io/onnx/writer.js';
import { isOnnxDomain, nodeLabel } from './graph.js';
import { editFields } from './rewrite.js';

/** Rounds of inlining (nested Ifs). */
export const MAX_ROUNDS = 8;

/**
 * An If node a trace inlined.
 *
 * @example
 * ```ts
 * const i: InlinedIf = { node: 'optimum::if', branch: 'else_branch', condition: 'use_cache_branch' };
 * ```
 */
export interface InlinedIf {
  /** The If node. */
  node: string;
  /** The branch whose nodes replaced it. */
  branch: 'then_branch' | 'else_branch';
  /** The value that decided it. */
  condition: string;
}

/** The payload of a graph field's node, a tensor, any message: bytes [offset, offset + length) of `model`. */
function payload(model: Uint8Array, r: { offset: number; length: number }): Uint8Array {
  return model.subarray(r.offset, r.offset + r.length);
}

/** The bytes of a graph occurrence (payload `range`) with the If nodes in `replace` replaced by their branch. */
function rebuildGraph(model: Uint8Array, range: { offset: number; length: number }, replace: Map<number, { node: OnnxNode; branch: OnnxGraph; label: string }>): Uint8Array {
  return editFields(model, range.offset, range.offset + range.length, (field, { start }, w) => {
    const hit = field === 1 ? replace.get(start) : undefined;
    if (hit === undefined) return false;
    for (const n of hit.branch.nodes) w.bytes(1, payload(model, n.range));
    hit.node.outputs.forEach((out, i) => {
      const from = hit.branch.outputs[i]?.name;
      if (out === '' || from === undefined) return;
      w.message(1, (x) => writeNode(x, { opType: 'Identity', inputs: [from], outputs: [out], name: `${hit.label}::out${i}` }));
    });
    for (const t of hit.branch.initializers) w.bytes(5, payload(model, t.range));
    return true;
  });
}

/** One round: the model with every decidable If of its main graph inlined, or undefined when there is none. */
function inlineOnce(model: Uint8Array, m: OnnxModel, condition: (name: string) => boolean | undefined, done: InlinedIf[]): Uint8Array | undefined {
  const replace = new Map<number, { node: OnnxNode; branch: OnnxGraph; label: string }>();
  m.graph.nodes.forEach((n, i) => {
    if (n.opType !== 'If' || !isOnnxDomain(n.domain) || n.inputs.length < 1) return;
    const c = condition(n.inputs[0]);
    if (c === undefined) return;
    const name = c ? 'then_branch' : 'else_branch';
    const g = n.attributes.find((a) => a.name === name)?.g;
    if (g === undefined || g.outputs.length < n.outputs.filter((o) => o !== '').length) return;
    const label = nodeLabel(n, i);
    replace.set(n.range.offset, { node: n, branch: g, label });
    done.push({ node: label, branch: name, condition: n.inputs[0] });
  });
  if (replace.size === 0) return undefined;
  // the ModelProto, its graph occurrences rebuilt, every other field as stored
  const graphs = new Map(m.graph.ranges.map((g) => [g.offset, g]));
  return editFields(model, 0, model.length, (field, { start }, w) => {
    const g = field === 7 ? graphs.get(start) : undefined;
    if (g === undefined) return false;
    w.bytes(7, rebuildGraph(model, g, replace));
    return true;
  });
}

/**
 * The model with the taken branch of every If inlined whose condition `condition` decides (a fed bool
 * input or a bool initializer; nested Ifs in further rounds), and the Ifs inlined. Returns the model
 * unchanged (and no Ifs) when there is nothing to inline.
 *
 * @example
 * ```ts
 * const { bytes, inlined } = inlineIfs(model, decoded, (name) => (name === 'use_cache_branch' ? false : undefined));
 * ```
 */
export function inlineIfs(model: Uint8Array, m: OnnxModel, condition: (name: string) => boolean | undefined): { bytes: Uint8Array; model: OnnxModel; inlined: InlinedIf[] } {
  const inlined: InlinedIf[] = [];
  let bytes = model;
  let decoded = m;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = inlineOnce(bytes, decoded, (name) => condition(name) ?? boolInitializer(bytes, decoded.graph, name), inlined);
    if (next === undefined) break;
    bytes = next;
    decoded = decodeModelBytes(bytes);
  }
  return { bytes, model: decoded, inlined };
}

/** The value of a bool initializer of one element held in raw_data, else undefined. */
function boolInitializer(model: Uint8Array, g: OnnxGraph, name: string): boolean | undefined {
  const t = g.initializers.find((x) => x.name === name);
  if (t === undefined || t.dataType !== ONNX_DATA_TYPES.BOOL || t.raw === undefined || t.raw.length !== 1) return undefined;
  return model[t.raw.offset] !== 0;
}
