// Rewriting a model for a trace, by appending protobuf fields: a ModelProto that holds `graph` twice is
// one graph whose repeated fields (nodes, initializers, outputs) are concatenated, so new outputs, new
// nodes and new initializers are a second `graph` field appended to the file's bytes, and the original
// bytes (weights included) are never decoded or copied field by field.
//
// - withOutputs: node outputs exposed as graph outputs, by name only (onnxruntime infers their types).
// - withEmulation: a copy of every main-graph node whose outputs and inputs are renamed with a suffix
//   (initializers and non-float graph inputs are shared), with each float value of the copy rounded to
//   the target format right after the node that makes it (Cast pairs, or the arithmetic rounding of
//   emulate.ts) and its consumers in the copy reading the rounded value: one session computes the fp32
//   graph and the emulated graph side by side, over one copy of the weights. A node is copied byte for
//   byte except its input, output and name fields; the bodies of If/Loop/Scan are copied as they are,
//   so values they read from the outer graph come from the fp32 graph.
// - editFields: a message re-encoded with some length-delimited fields replaced and every other field
//   copied byte for byte (the node copies here, the If inlining of inline.ts).
import { ONNX_DATA_TYPES as T, type OnnxModel, type OnnxNode } from '../io/onnx/model.js';
import { ProtoReader, WIRE_LEN } from '../io/onnx/protobuf.js';
import { ProtoWriter, writeNode, writeTensor, writeValueInfo, type OnnxNodeInit } from '../io/onnx/writer.js';
import { roundingConstants, roundingNodes, type EmulationPlan } from './emulate.js';
import type { GraphFacts } from './graph.js';

const utf8 = new TextEncoder();

/** `model` with a second `graph` field built by `build` appended. */
export function appendGraph(model: Uint8Array, build: (g: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  w.message(7, build);
  const tail = w.finish();
  const out = new Uint8Array(model.length + tail.length);
  out.set(model);
  out.set(tail, model.length);
  return out;
}

/**
 * `model` with the given values added as graph outputs (names only: onnxruntime infers types and
 * shapes).
 *
 * @example
 * ```ts
 * const probe = withOutputs(bytes, ['/emb/Gather_output_0']);
 * ```
 */
export function withOutputs(model: Uint8Array, outputs: readonly string[]): Uint8Array {
  return appendGraph(model, (g) => {
    for (const o of outputs) g.message(12, (v) => writeValueInfo(v, { name: o }));
  });
}

/**
 * The message `model[start, end)` re-encoded field by field: a length-delimited field that `edit`
 * replaces (it is given the field number, the payload's [start, end) in `model` and the writer, and
 * returns true when it wrote something in the field's place) is replaced, every other field is copied
 * byte for byte.
 */
export function editFields(model: Uint8Array, start: number, end: number, edit: (field: number, payload: { start: number; end: number }, w: ProtoWriter) => boolean): Uint8Array {
  const r = new ProtoReader(model, 0, undefined, end === model.length, start, end);
  const w = new ProtoWriter();
  while (!r.eof()) {
    const at = r.pos;
    const key = r.key();
    if (key.wire === WIRE_LEN) {
      if (edit(key.field, r.lengthDelimited(), w)) continue;
    } else r.skip(key);
    w.raw(model.subarray(at, r.pos));
  }
  return w.finish();
}

/**
 * A copy of a node's bytes (its payload in `model`) with inputs, outputs and name replaced, every
 * other field (attributes, subgraphs, domain, doc) as stored.
 */
export function copyNode(model: Uint8Array, node: OnnxNode, input: (v: string) => string, output: (v: string) => string, name: string): Uint8Array {
  let i = 0;
  let o = 0;
  return editFields(model, node.range.offset, node.range.offset + node.range.length, (field, _, w) => {
    if (field === 1) w.bytes(1, utf8.encode(input(node.inputs[i++])));
    else if (field === 2) w.bytes(2, utf8.encode(output(node.outputs[o++])));
    else if (field === 3) w.bytes(3, utf8.encode(name));
    else return false;
    return true;
  });
}

/** The names of the emulated graph: each value's emulated (rounded) name, for the values traced. */
export interface EmulatedModel {
  /** The model bytes: the original graph and the emulated copy. */
  bytes: Uint8Array;
  /** For each traced value (and float graph input), the name of its emulated twin. */
  twin: Map<string, string>;
}

/**
 * `model` (decoded as `m`, with the `facts` of its graph) with an emulated copy of its graph whose
 * float values (`floatTypes`: value name → ONNX type, for the node outputs and graph inputs to round)
 * are rounded to the plan's format; `expose` lists the values whose fp32 and emulated versions become
 * graph outputs.
 *
 * @example
 * ```ts
 * const { bytes: emu, twin } = withEmulation(bytes, model, facts, types, plan, names);
 * ```
 */
export function withEmulation(
  model: Uint8Array,
  m: OnnxModel,
  facts: GraphFacts,
  floatTypes: ReadonlyMap<string, number>,
  plan: EmulationPlan,
  expose: readonly string[],
): EmulatedModel {
  const names = new Set(facts.names);
  const suffix = freshSuffix(names, '::lowp.emu');
  const nodeOutputs = new Set(m.graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== '')));
  const twin = new Map<string, string>();
  const raw = (v: string): string => `${v}${suffix}.raw`;
  const emu = (v: string): string => `${v}${suffix}`;
  const c = plan.method === 'arithmetic' ? roundingConstants(plan, `lowp.emu${suffix}.`) : undefined;

  // the rounding of value `from` (of ONNX type `type`) into `to`
  const rounding = (from: string, to: string, type: number): OnnxNodeInit[] => {
    const tmp = `${to}.lowp`;
    if (plan.method === 'cast') {
      if (type === plan.castType) return [{ opType: 'Identity', inputs: [from], outputs: [to], name: to }];
      return [
        { opType: 'Cast', inputs: [from], outputs: [`${tmp}.lp`], attributes: [{ name: 'to', i: plan.castType }], name: `${tmp}.lp` },
        { opType: 'Cast', inputs: [`${tmp}.lp`], outputs: [to], attributes: [{ name: 'to', i: type }], name: to },
      ];
    }
    const k = c as { names: Record<string, string> };
    if (type === T.FLOAT) return roundingNodes(from, to, tmp, k.names);
    return [
      { opType: 'Cast', inputs: [from], outputs: [`${tmp}.f32`], attributes: [{ name: 'to', i: T.FLOAT }], name: `${tmp}.f32` },
      ...roundingNodes(`${tmp}.f32`, `${tmp}.r`, tmp, k.names),
      { opType: 'Cast', inputs: [`${tmp}.r`], outputs: [to], attributes: [{ name: 'to', i: type }], name: to },
    ];
  };

  const bytes = appendGraph(model, (g) => {
    // float graph inputs are rounded too, as a low-precision model receives them
    for (const input of m.graph.inputs) {
      const type = floatTypes.get(input.name);
      if (type === undefined || facts.initializers.has(input.name)) continue;
      twin.set(input.name, emu(input.name));
      for (const n of rounding(input.name, emu(input.name), type)) g.message(1, (x) => writeNode(x, n));
    }
    const inputName = (v: string): string => (v === '' ? '' : nodeOutputs.has(v) || twin.has(v) ? emu(v) : v);
    m.graph.nodes.forEach((node) => {
      const outputName = (v: string): string => (v === '' ? '' : floatTypes.has(v) ? raw(v) : emu(v));
      g.bytes(1, copyNode(model, node, inputName, outputName, node.name === '' ? '' : emu(node.name)));
      for (const o of node.outputs) {
        if (o === '') continue;
        twin.set(o, emu(o));
        const type = floatTypes.get(o);
        if (type !== undefined) for (const n of rounding(raw(o), emu(o), type)) g.message(1, (x) => writeNode(x, n));
      }
    });
    for (const t of c?.initializers ?? []) g.message(5, (x) => writeTensor(x, t));
    const graphOutputs = new Set(m.graph.outputs.map((o) => o.name));
    for (const o of expose) {
      if (!graphOutputs.has(o)) g.message(12, (v) => writeValueInfo(v, { name: o }));
      g.message(12, (v) => writeValueInfo(v, { name: emu(o) }));
    }
  });
  return { bytes, twin };
}

/** A suffix that makes no existing name collide (`base`, or `base` with a counter). */
function freshSuffix(names: Set<string>, base: string): string {
  for (let k = 1; ; k++) {
    const s = k === 1 ? base : `${base}${k}`;
    let clash = false;
    for (const n of names) if (n.includes(s)) { clash = true; break; }
    if (!clash) return s;
  }
}
