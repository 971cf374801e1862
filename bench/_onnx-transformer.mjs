// Bench helper: a decoder-only transformer as an ONNX model (opset 17), built with lowp's
// encodeOnnxModel from dist/: token embedding + positions, `layers` blocks of LayerNorm → q/k/v →
// heads → scores / sqrt(d_head) + a causal -1e9 mask → Softmax → context → output projection →
// residual, LayerNorm → up → GELU (Erf) → down → residual, then a final LayerNorm and the LM head.
// Weights are deterministic pseudo-random values (lowp's createRng); the node pattern is the one PyTorch's
// exporter writes, so a trace of it costs what a trace of an exported model of that size costs.

const f32 = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The model bytes and its input ids.
 * @param {{ encodeOnnxModel: Function, createRng: Function }} lowp - lowp (dist/index.js)
 * @param {{ layers: number, d: number, heads: number, seq: number, vocab: number }} shape
 */
export function transformerModel(lowp, { layers, d, heads, seq, vocab }) {
  const rand = lowp.createRng(12345);
  const r = () => rand() - 0.5;
  const nodes = [];
  const inits = [];
  const w = (name, dims, scale) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = r() * scale;
    inits.push({ name, dataType: 1, dims, raw: f32(a) });
    return name;
  };
  const c = (name, dims, values, dataType = 1) => {
    inits.push(dataType === 7 ? { name, dataType, dims, int64Data: values } : { name, dataType, dims, raw: f32(Float32Array.from(values)) });
    return name;
  };
  const node = (opType, inputs, name, attributes) => {
    nodes.push({ name, opType, inputs, outputs: [`${name}_output_0`], attributes });
    return `${name}_output_0`;
  };
  const dh = d / heads;
  const mask = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) mask[i * seq + j] = -1e9;
  nodes.push({ name: '/Constant_mask', opType: 'Constant', inputs: [], outputs: ['/mask'], attributes: [{ name: 'value', t: { dataType: 1, dims: [seq, seq], raw: f32(mask) } }] });
  c('heads_shape', [4], [1, seq, heads, dh], 7);
  c('merge_shape', [3], [1, seq, d], 7);
  c('sqrt_dh', [], [Math.sqrt(dh)]);
  c('sqrt2', [], [Math.SQRT2]);
  c('one', [], [1]);
  c('half', [], [0.5]);
  let h = node('Gather', [w('emb', [vocab, d], 2), 'input_ids'], '/emb/Gather');
  h = node('Add', [h, w('pos', [1, seq, d], 0.2)], '/Add');
  const ln = (x, p) => node('LayerNormalization', [x, c(`${p}.w`, [d], new Array(d).fill(1)), c(`${p}.b`, [d], new Array(d).fill(0))], `${p}/LayerNormalization`, [{ name: 'axis', i: -1 }]);
  const linear = (x, p, din, dout) => node('Add', [node('MatMul', [x, w(`${p}.weight`, [din, dout], 2 / Math.sqrt(din))], `${p}/MatMul`), w(`${p}.bias`, [dout], 0.02)], `${p}/Add`);
  for (let l = 0; l < layers; l++) {
    const b = `/blocks.${l}`;
    const x = ln(h, `${b}/ln1`);
    const split = (t, p, perm) => node('Transpose', [node('Reshape', [t, 'heads_shape'], `${b}/Reshape_${p}`)], `${b}/Transpose_${p}`, [{ name: 'perm', ints: perm }]);
    const q = split(linear(x, `${b}/q`, d, d), 'q', [0, 2, 1, 3]);
    const k = split(linear(x, `${b}/k`, d, d), 'k', [0, 2, 3, 1]);
    const v = split(linear(x, `${b}/v`, d, d), 'v', [0, 2, 1, 3]);
    let s = node('MatMul', [q, k], `${b}/MatMul`);
    s = node('Div', [s, 'sqrt_dh'], `${b}/Div`);
    s = node('Add', [s, '/mask'], `${b}/Add`);
    const p = node('Softmax', [s], `${b}/Softmax`, [{ name: 'axis', i: -1 }]);
    let o = node('MatMul', [p, v], `${b}/MatMul_1`);
    o = node('Reshape', [node('Transpose', [o], `${b}/Transpose_o`, [{ name: 'perm', ints: [0, 2, 1, 3] }]), 'merge_shape'], `${b}/Reshape_o`);
    h = node('Add', [h, linear(o, `${b}/o`, d, d)], `${b}/Add_1`);
    const y = ln(h, `${b}/ln2`);
    const up = linear(y, `${b}/up`, d, 4 * d);
    const erf = node('Erf', [node('Div', [up, 'sqrt2'], `${b}/Div_1`)], `${b}/Erf`);
    const g = node('Mul', [node('Mul', [up, node('Add', [erf, 'one'], `${b}/Add_2`)], `${b}/Mul`), 'half'], `${b}/Mul_1`);
    h = node('Add', [h, linear(g, `${b}/down`, 4 * d, d)], `${b}/Add_3`);
  }
  const logits = node('MatMul', [ln(h, '/norm'), w('head', [d, vocab], 2 / Math.sqrt(d))], '/head/MatMul');
  const bytes = lowp.encodeOnnxModel({
    opset: 17,
    graph: { name: 'bench', nodes, initializers: inits, inputs: [{ name: 'input_ids', elemType: 7, shape: [1, seq] }], outputs: [{ name: logits, elemType: 1, shape: [1, seq, vocab] }] },
  });
  const ids = new BigInt64Array(seq);
  const rr = lowp.createRng(7);
  for (let i = 0; i < seq; i++) ids[i] = BigInt(Math.floor(rr() * vocab));
  return { bytes, ids, output: logits };
}
