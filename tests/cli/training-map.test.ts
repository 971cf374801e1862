// Pairing optimizer indices with parameter names (src/cli/training-map.ts) and fitting the lr schedule
// (src/cli/training-schedule.ts). The main property: a pairing is never wrong. Random models (layers of
// same-shape matrices, biases, norm weights, frozen parameters, buffers between them) are grouped as HF
// Trainer groups them (decay, then no-decay, each in named_parameters() order), the file lists the
// tensors in the model's order or sorted by name (as safetensors' writer does), and every pair the
// mapping makes must be the true one; what it cannot pair is listed with the true name among the
// candidates. Oracle for the real runs: truth.json's parameter order and weight decays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hfNoDecay, isSortedByName, mapOptimizerParams, parseParamNames, type GroupSpec, type ParamCandidate } from '../../src/cli/training-map.js';
import { describeSchedule, fitSchedule, scheduleFactor } from '../../src/cli/training-schedule.js';

interface ModelParam extends ParamCandidate { decay: boolean; frozen: boolean; buffer: boolean }

/** A random transformer-like model in named_parameters() order (buffers interleaved, some frozen). */
const modelArb = fc.record({
  layers: fc.integer({ min: 1, max: 4 }),
  d: fc.constantFrom(4, 8),
  gqa: fc.boolean(),
  biases: fc.boolean(),
  frozenEmbed: fc.boolean(),
  buffers: fc.boolean(),
  tied: fc.boolean(),
}).map(({ layers, d, gqa, biases, frozenEmbed, buffers, tied }) => {
  const ps: ModelParam[] = [];
  const add = (name: string, shape: number[], extra: Partial<ModelParam> = {}) => ps.push({ name, shape, decay: !hfNoDecay(name, shape), frozen: false, buffer: false, ...extra });
  add('model.embed_tokens.weight', [32, d], { frozen: frozenEmbed });
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      add(`${p}.self_attn.${proj}.weight`, [gqa && (proj === 'k_proj' || proj === 'v_proj') ? d / 2 : d, d]);
      if (biases) add(`${p}.self_attn.${proj}.bias`, [gqa && (proj === 'k_proj' || proj === 'v_proj') ? d / 2 : d]);
    }
    if (buffers) add(`${p}.self_attn.rotary_emb.inv_freq`, [d / 2], { buffer: true });
    add(`${p}.mlp.gate_proj.weight`, [2 * d, d]);
    add(`${p}.mlp.up_proj.weight`, [2 * d, d]);
    add(`${p}.mlp.down_proj.weight`, [d, 2 * d]);
    add(`${p}.input_layernorm.weight`, [d]);
    add(`${p}.post_attention_layernorm.weight`, [d]);
  }
  add('model.norm.weight', [d]);
  if (!tied) add('lm_head.weight', [32, d]);
  return ps;
});

/** HF's groups for a model: decay (wd 0.1) then no-decay (wd 0), trainable parameters only. */
function hfGroups(ps: ModelParam[]): { groups: GroupSpec[]; truth: Map<number, string>; shapes: Map<number, number[]> } {
  const trainable = ps.filter((p) => !p.frozen && !p.buffer);
  const order = [...trainable.filter((p) => p.decay), ...trainable.filter((p) => !p.decay)];
  const truth = new Map(order.map((p, i) => [i, p.name]));
  const shapes = new Map(order.map((p, i) => [i, [...p.shape]]));
  const nd = trainable.filter((p) => p.decay).length;
  return {
    groups: [
      { index: 0, params: order.slice(0, nd).map((_, i) => i), weightDecay: 0.1 },
      { index: 1, params: order.slice(nd).map((_, i) => nd + i), weightDecay: 0 },
    ],
    truth, shapes,
  };
}

describe('mapOptimizerParams never pairs wrongly', () => {
  it('the model\'s order: every trainable parameter paired, truly; frozen parameters and buffers without state', () => {
    fc.assert(fc.property(modelArb, (ps) => {
      const { groups, truth, shapes } = hfGroups(ps);
      const m = mapOptimizerParams({ params: ps, orderKnown: true, groups, stateShapes: shapes });
      expect(m.method).toBe('order');
      for (const [i, name] of m.pairs) expect(name).toBe(truth.get(i));
      // same-shape neighbours in one layer are told apart by the order: nothing left ambiguous here
      expect(m.pairs.size).toBe(truth.size);
      expect(m.ambiguous).toEqual([]);
      expect(new Set(m.withoutState)).toEqual(new Set(ps.filter((p) => p.frozen || p.buffer).map((p) => p.name)));
    }), { numRuns: 80 });
  });

  it('a file sorted by name (order unknown): the pairs made are true, the rest ambiguous with the true name among the candidates', () => {
    fc.assert(fc.property(modelArb, (ps) => {
      const { groups, truth, shapes } = hfGroups(ps);
      const sorted = [...ps].sort((a, b) => (a.name < b.name ? -1 : 1));
      expect(isSortedByName(sorted.map((p) => p.name))).toBe(true);
      const m = mapOptimizerParams({ params: sorted, orderKnown: false, groups, stateShapes: shapes });
      expect(m.method).toBe('shapes');
      for (const [i, name] of m.pairs) expect(name).toBe(truth.get(i));
      for (const a of m.ambiguous) for (const i of a.indices) if (a.names.length > 0) expect(a.names).toContain(truth.get(i));
      const covered = new Set([...m.pairs.keys(), ...m.ambiguous.flatMap((a) => a.indices)]);
      expect(covered.size).toBe(truth.size);
      expect(m.notes.join(' ')).toMatch(/sorted by name.*--param-names/);
    }), { numRuns: 80 });
  });

  it('a shuffled file presented as the model\'s order: no pairing at all, or only true ones, or a shapes fallback that says so', () => {
    fc.assert(fc.property(modelArb, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (ps, keys) => {
      const { groups, shapes } = hfGroups(ps);
      const shuffled = ps.map((p, i) => ({ p, k: keys[i % keys.length] * 1000 + i })).sort((a, b) => a.k - b.k).map((x) => x.p);
      const m = mapOptimizerParams({ params: shuffled, orderKnown: true, groups, stateShapes: shapes });
      // a wrong order is not detectable in general; what the mapping does promise is shape-consistency
      for (const [i, name] of m.pairs) expect(ps.find((p) => p.name === name)?.shape).toEqual(shapes.get(i));
    }), { numRuns: 40 });
  });

  it('param_names: paired by name whatever the file order, prefixes such as module. tolerated, wrong shapes refused', () => {
    fc.assert(fc.property(modelArb, fc.boolean(), (ps, prefix) => {
      const { groups, truth, shapes } = hfGroups(ps);
      const named = groups.map((g) => ({ ...g, paramNames: g.params.map((i) => `${prefix ? 'module.' : ''}${truth.get(i)}`) }));
      const m = mapOptimizerParams({ params: [...ps].reverse(), orderKnown: false, groups: named, stateShapes: shapes });
      expect(m.method).toBe('param_names');
      expect(m.pairs).toEqual(truth);
      expect(m.ambiguous).toEqual([]);
    }), { numRuns: 40 });
    const bad = mapOptimizerParams({
      params: [{ name: 'a', shape: [2, 2] }], orderKnown: false, groups: [{ index: 0, params: [0], weightDecay: 0, paramNames: ['a'] }], stateShapes: new Map([[0, [4]]]),
    });
    expect(bad.pairs.size).toBe(0);
    expect(bad.ambiguous[0].reason).toMatch(/shape \[2, 2\] differs from its state's \[4\]/);
  });

  it('same-shape parameters that the order and the decay rule cannot tell apart stay ambiguous', () => {
    // two 1-D tensors, one per group, in an order where either could be the decayed one
    const params = [{ name: 'scale', shape: [4] }, { name: 'shift', shape: [4] }];
    const m = mapOptimizerParams({
      params, orderKnown: true, groups: [{ index: 0, params: [0], weightDecay: 0.1 }, { index: 1, params: [1], weightDecay: 0 }], stateShapes: new Map([[0, [4]], [1, [4]]]),
    });
    expect(m.pairs.size).toBe(0);
    expect(m.ambiguous[0].names).toEqual(['scale', 'shift']);
    // a weight and a bias of the same shape, one per group: the shapes allow both ways, HF's rule decides, and the note says so
    const r = mapOptimizerParams({
      params: [{ name: 'x.weight', shape: [4, 4] }, { name: 'y.bias', shape: [4, 4] }], orderKnown: true,
      groups: [{ index: 0, params: [0], weightDecay: 0.1 }, { index: 1, params: [1], weightDecay: 0 }], stateShapes: new Map([[0, [4, 4]], [1, [4, 4]]]),
    });
    expect([...r.pairs].sort()).toEqual([[0, 'x.weight'], [1, 'y.bias']]);
    expect(r.notes.join(' ')).toMatch(/2 parameters were placed by HF's decay rule/);
  });

  it('indices without state, more states than tensors, no groups', () => {
    const m = mapOptimizerParams({ params: [{ name: 'w', shape: [2] }], orderKnown: true, groups: [{ index: 0, params: [0, 1], weightDecay: 0 }], stateShapes: new Map([[0, [2]], [1, null]]) });
    expect(m.indicesWithoutState).toEqual([1]);
    // index 0 has the only state of shape [2], w the only tensor of that shape; index 1's shape is unknown
    expect([...m.pairs]).toEqual([[0, 'w']]);
    expect(m.ambiguous).toEqual([expect.objectContaining({ indices: [1], reason: expect.stringMatching(/without state/) })]);
  });

  it('parseParamNames: lines or a JSON array; duplicates, bad JSON and emptiness are errors', () => {
    expect(parseParamNames('# named_parameters()\na.weight\n\n b.bias \n', 'f')).toEqual(['a.weight', 'b.bias']);
    expect(parseParamNames('["a", "b"]', 'f')).toEqual(['a', 'b']);
    expect(() => parseParamNames('a\na\n', 'f')).toThrow(/twice/);
    expect(() => parseParamNames('[1, 2]', 'f')).toThrow(/array of strings/);
    expect(() => parseParamNames('[', 'f')).toThrow(/invalid JSON/);
    expect(() => parseParamNames('  \n', 'f')).toThrow(/got none/);
  });
});

describe('fitSchedule', () => {
  it('recovers HF\'s linear, cosine and constant schedules with warmup from the lrs they log', () => {
    fc.assert(fc.property(
      fc.constantFrom('linear' as const, 'cosine' as const, 'constant' as const), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 200, max: 2000 }), fc.integer({ min: 60, max: 199 }),
      (kind, warmupSteps, maxSteps, at) => {
        const s = { kind, warmupSteps, warmupStart: 0, floor: 0, maxSteps };
        const pts: [number, number][] = [];
        for (let t = 5; t <= at; t += 5) pts.push([t, 1e-3 * scheduleFactor(s, t)]);
        const fit = fitSchedule(pts, 1e-3, maxSteps);
        expect(fit).not.toBeNull();
        expect(fit!.maxRelError).toBeLessThan(1e-9);
        // the future agrees (kinds that coincide on the fitted range, e.g. constant warm-up only, agree there)
        for (let t = at; t < maxSteps; t += 37) expect(scheduleFactor(fit!, t)).toBeCloseTo(scheduleFactor(s, t), 6);
      }), { numRuns: 40 });
  });

  it('--schedule fixes the kind; no peak, no max_steps or no point: null', () => {
    const pts: [number, number][] = [[10, 9e-4], [20, 8e-4]];
    expect(fitSchedule(pts, 1e-3, 100, 'linear')?.kind).toBe('linear');
    expect(fitSchedule(pts, 1e-3, 100, 'linear')?.source).toBe('given');
    expect(fitSchedule(pts, undefined, 100)).toBeNull();
    expect(fitSchedule(pts, 1e-3, undefined)).toBeNull();
    expect(fitSchedule([], 1e-3, 100)).toBeNull();
    expect(describeSchedule(fitSchedule(pts, 1e-3, 100)!)).toMatch(/at step 100 .*fits the 2 known lrs/);
  });
});
