// What a trace needs to know about a graph before running it: the node outputs it can expose, in the
// graph's order (ONNX stores nodes topologically sorted), with the node that makes each; which values
// are literals (computed from constants alone: initializers, Constant nodes and what deterministic
// nodes make of them: a -1e9 mask built by Constant → Trilu is a literal, the residual stream is not);
// who consumes each value; and the vocabulary size of a token-id input (the rows of the embedding
// table a Gather reads with it). Only the main graph is traced: outputs of nodes inside If/Loop/Scan
// bodies cannot be exposed as graph outputs.
import type { OnnxGraph, OnnxNode } from '../io/onnx/model.js';

/**
 * One node output a trace can expose.
 *
 * @example
 * ```ts
 * const v: TracedValue = { index: 0, node: '/emb/Gather', op: 'Gather', nodeIndex: 8, output: '/emb/Gather_output_0' };
 * ```
 */
export interface TracedValue {
  /** Position among the graph's node outputs (graph order). */
  index: number;
  /** The node's name, or `<op_type>#<index>` when it has none. */
  node: string;
  /** The node's operator (with its domain when not ONNX's: `com.microsoft.Attention`). */
  op: string;
  /** The node's index in the graph. */
  nodeIndex: number;
  /** The output's name. */
  output: string;
}

/** Operators whose outputs differ from run to run: never literals. */
const RANDOM_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** The facts of a graph a trace uses. */
export interface GraphFacts {
  /** Node outputs in graph order (each once, empty names skipped). */
  values: TracedValue[];
  /** Values computed from constants alone (initializers that are not inputs, and what deterministic nodes compute from literals). */
  literals: Set<string>;
  /** For each value, the indices of the nodes that read it (main graph). */
  consumers: Map<string, number[]>;
  /** Every name used in the graph (inputs, outputs, initializers, node outputs), to pick fresh names. */
  names: Set<string>;
  /** Initializer names (main graph). */
  initializers: Set<string>;
  /** Number of nodes inside subgraphs (not traced). */
  subgraphNodes: number;
}

/** The name a report gives a node. */
export function nodeLabel(n: OnnxNode, index: number): string {
  return n.name !== '' ? n.name : `${n.opType}#${index}`;
}

/** Whether an operator set domain is ONNX's own ('' or 'ai.onnx'). */
export function isOnnxDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

/** The operator name a report gives a node. */
export function opLabel(n: OnnxNode): string {
  return isOnnxDomain(n.domain) ? n.opType : `${n.domain}.${n.opType}`;
}

/** `g` and every graph nested in its nodes' attributes (If/Loop/Scan bodies, at any depth). */
function graphsIn(g: OnnxGraph): OnnxGraph[] {
  const graphs: OnnxGraph[] = [];
  const stack: OnnxGraph[] = [g];
  while (stack.length > 0) {
    const cur = stack.pop() as OnnxGraph;
    graphs.push(cur);
    for (const n of cur.nodes) {
      for (const a of n.attributes) {
        if (a.g !== undefined) stack.push(a.g);
        for (const sg of a.graphs ?? []) stack.push(sg);
      }
    }
  }
  return graphs;
}

/**
 * The facts of a main graph: candidate outputs, literals, consumers, names.
 *
 * @example
 * ```ts
 * const facts = graphFacts(model.graph);
 * facts.values.length; // node outputs a trace can expose
 * ```
 */
export function graphFacts(g: OnnxGraph): GraphFacts {
  const inputs = new Set(g.inputs.map((v) => v.name));
  const initializers = new Set(g.initializers.map((t) => t.name));
  const names = new Set<string>([...inputs, ...initializers, ...g.outputs.map((v) => v.name)]);
  const literals = new Set<string>();
  for (const t of initializers) if (!inputs.has(t)) literals.add(t);
  const consumers = new Map<string, number[]>();
  const values: TracedValue[] = [];
  const seen = new Set<string>();
  g.nodes.forEach((n, i) => {
    for (const x of n.inputs) {
      if (x === '') continue;
      const c = consumers.get(x);
      if (c === undefined) consumers.set(x, [i]);
      else if (c[c.length - 1] !== i) c.push(i);
    }
    const hasSubgraph = n.attributes.some((a) => a.g !== undefined || (a.graphs?.length ?? 0) > 0);
    const literal = !RANDOM_OPS.has(n.opType) && !hasSubgraph && n.inputs.every((x) => x === '' || literals.has(x));
    for (const o of n.outputs) {
      if (o === '') continue;
      names.add(o);
      if (literal) literals.add(o);
      if (seen.has(o)) continue;
      seen.add(o);
      values.push({ index: values.length, node: nodeLabel(n, i), op: opLabel(n), nodeIndex: i, output: o });
    }
    for (const x of n.inputs) if (x !== '') names.add(x);
  });
  const subgraphNodes = graphsIn(g).reduce((n, x) => n + x.nodes.length, 0) - g.nodes.length;
  return { values, literals, consumers, names, initializers, subgraphNodes };
}

/**
 * The vocabulary size for a token-id input: the first dimension of the initializer a Gather node
 * reads rows of with it (an embedding table), directly or through Cast/Identity/Unsqueeze/Reshape, in
 * the graph or any of its subgraphs.
 *
 * @example
 * ```ts
 * vocabularyOf(model.graph, 'input_ids'); // 128
 * ```
 */
export function vocabularyOf(g: OnnxGraph, input: string): number | undefined {
  // every graph, subgraphs included: a merged decoder embeds its tokens inside If branches
  const graphs = graphsIn(g);
  const dims = new Map(graphs.flatMap((x) => x.initializers.map((t): [string, number[]] => [t.name, t.dims])));
  const reach = new Set([input]);
  for (const cur of graphs) {
    for (const n of cur.nodes) {
      if (['Cast', 'Identity', 'Unsqueeze', 'Reshape', 'Squeeze', 'Flatten'].includes(n.opType) && reach.has(n.inputs[0])) {
        for (const o of n.outputs) reach.add(o);
      }
      if (n.opType === 'Gather' && reach.has(n.inputs[1])) {
        const d = dims.get(n.inputs[0]);
        if (d !== undefined && d.length >= 1 && d[0] > 0) return d[0];
      }
    }
  }
  return undefined;
}
