// Helper of bench/convert.mjs (not run on its own by bench/run.mjs): run on a Node with the native
// Float16Array (`npx -y -p node@26 node bench/convert-native.mjs --lib <lowp ESM> ...`), it measures
// the native conversions (Float16Array.prototype.set from a Float32Array and back), lowp's bulk paths,
// a plain copy and the straightforward loops in the same process, in interleaved rounds (every round
// runs each conversion once, so the ratios of issue 5's targets are taken within a round: lowp's fp16
// conversions ÷ native, lowp's bf16 conversions ÷ a plain copy; their median and range over the rounds
// are reported). Prints one JSON object on stdout.
import {
  isNanBf16, isNanF32Bits, isNanFp16, makeData, measure, measureRounds, mismatches, option, roundRatios, straightBf16ToF32,
  straightF16ToF32, straightF32ToBf16, straightF32ToF16,
} from './convert-common.mjs';

const args = process.argv.slice(2);
const n = Number(option(args, '--n', 16 * 2 ** 20));
const reps = Number(option(args, '--reps', 5));
const kind = option(args, '--data', 'normal');
const libPath = option(args, '--lib', new URL('../dist/index.js', import.meta.url).href);
const accessN = Number(option(args, '--access-n', 2 ** 20));

if (typeof globalThis.Float16Array !== 'function') {
  process.stdout.write(JSON.stringify({ error: `no native Float16Array in Node ${process.version}` }));
  process.exit(0);
}
const lowp = await import(libPath);
const cand = args.includes('--candidates') ? await import('./convert-candidates.mjs') : null;
const { encodeArray, decodeArray } = lowp;

const src = makeData(n, kind);
const src32 = new Uint32Array(src.buffer);
const f16 = new Float16Array(n);
const f16bits = new Uint16Array(f16.buffer);
const f16src = new Float16Array(src);
const f16srcBits = new Uint16Array(f16src.buffer);
const lowpCodes = new Uint16Array(n);
const back = new Float32Array(n);
const backBits = new Uint32Array(back.buffer);
const lowpBack = new Float32Array(n);
const straight = new Uint16Array(n);
const straightBack = new Uint32Array(n);
const bf = encodeArray(src, 'bf16');
const bfOut = new Uint16Array(n);
const bfStraight = new Uint16Array(n);
const bfBack = new Float32Array(n);
const bfBackStraight = new Uint32Array(n);
const copy = new Float32Array(n);

// one round: every conversion once (the native ones and lowp's next to each other)
const timed = measureRounds(
  {
    nativeEnc: [() => f16.set(src), n],
    lowpEnc: [() => encodeArray(src, 'fp16', { out: lowpCodes }), n],
    nativeDec: [() => back.set(f16src), n],
    lowpDec: [() => decodeArray(f16srcBits, 'fp16', { out: lowpBack }), n],
    copy: [() => copy.set(src), n],
    lowpBfEnc: [() => encodeArray(src, 'bf16', { out: bfOut }), n],
    lowpBfDec: [() => decodeArray(bf, 'bf16', { out: bfBack }), n],
    straightEnc: [() => straightF32ToF16(src32, straight), n],
    straightDec: [() => straightF16ToF32(f16srcBits, straightBack), n],
    straightBfEnc: [() => straightF32ToBf16(src32, bfStraight), n],
    straightBfDec: [() => straightBf16ToF32(bf, bfBackStraight), n],
  },
  reps,
);
const rows = [];
const add = (direction, method, r, extra = {}) => rows.push({ direction, method, mps: r.mps, rates: r.rates, ...extra });
add('f32->fp16', 'native Float16Array.prototype.set(f32)', timed.nativeEnc);
add('f32->fp16', 'lowp encodeArray', timed.lowpEnc, { mismatchesVsNative: mismatches(lowpCodes, f16bits, isNanFp16) });
add('f32->fp16', 'straightforward RNE loop', timed.straightEnc, { mismatchesVsNative: mismatches(straight, f16bits, isNanFp16) });
add('fp16->f32', 'native Float32Array.prototype.set(f16)', timed.nativeDec);
add('fp16->f32', 'lowp decodeArray', timed.lowpDec, { mismatchesVsNative: mismatches(new Uint32Array(lowpBack.buffer), backBits, isNanF32Bits) });
add('fp16->f32', 'straightforward loop', timed.straightDec, { mismatchesVsNative: mismatches(straightBack, backBits, isNanF32Bits) });
add('f32->bf16', 'lowp encodeArray', timed.lowpBfEnc, { mismatchesVsStraight: mismatches(bfOut, bfStraight, isNanBf16) });
add('f32->bf16', 'straightforward RNE loop', timed.straightBfEnc);
add('bf16->f32', 'lowp decodeArray', timed.lowpBfDec, { mismatchesVsStraight: mismatches(new Uint32Array(bfBack.buffer), bfBackStraight, isNanF32Bits) });
add('bf16->f32', 'straightforward loop', timed.straightBfDec);
add('copy', 'Float32Array.prototype.set (plain copy)', timed.copy);

// issue 5's targets, as ratios within each round
const ratios = {
  'f32->fp16 / native': roundRatios(timed.lowpEnc.rates, timed.nativeEnc.rates),
  'fp16->f32 / native': roundRatios(timed.lowpDec.rates, timed.nativeDec.rates),
  'f32->bf16 / copy': roundRatios(timed.lowpBfEnc.rates, timed.copy.rates),
  'bf16->f32 / copy': roundRatios(timed.lowpBfDec.rates, timed.copy.rates),
};

const candidateFailures = cand ? cand.checkCandidates(lowp, src.subarray(0, Math.min(n, 2 ** 20))) : [];
if (cand) {
  const c16 = new Uint16Array(n);
  add('f32->fp16', 'candidate: pairs (2 codes per 32-bit store)', measure(() => cand.pairsF32ToFp16(src, c16), n, reps));
  rows.at(-1).mismatchesVsNative = mismatches(c16, f16bits, isNanFp16);
  add('f32->fp16', 'candidate: native set inside encodeArray', measure(() => cand.nativeF32ToFp16(src, c16), n, reps));
  rows.at(-1).mismatchesVsNative = mismatches(c16, lowpCodes, isNanFp16); // same bits as lowp's policy, NaNs included
  const c32 = new Float32Array(n);
  add('fp16->f32', 'candidate: table + pairs', measure(() => cand.tablePairsFp16ToF32(f16srcBits, c32), n, reps));
  rows.at(-1).mismatchesVsNative = mismatches(new Uint32Array(c32.buffer), backBits, isNanF32Bits);
  add('f32->bf16', 'candidate: pairs (2 codes per 32-bit store)', measure(() => cand.pairsF32ToBf16(src, c16), n, reps));
  rows.at(-1).mismatchesVsStraight = mismatches(c16, bfOut, isNanBf16);
  add('bf16->f32', 'candidate: pairs (2 codes per 32-bit load)', measure(() => cand.pairsBf16ToF32(bf, c32), n, reps));
}

// ---- element access: native indexing vs lowp's get/set (first accessN values)
const access = [];
{
  const m = Math.min(accessN, n);
  const nat = new Float16Array(src.subarray(0, m));
  let sink = 0;
  access.push({ method: 'native Float16Array f16[i] read', ...measure(() => { let acc = 0; for (let i = 0; i < m; i++) acc += nat[i]; sink += acc; }, m, reps) });
  access.push({ method: 'native Float16Array f16[i] = x', ...measure(() => { for (let i = 0; i < m; i++) nat[i] = src[i]; }, m, reps) });
  if (typeof lowp.Fp16Array === 'function') {
    const h = new lowp.Fp16Array(src.subarray(0, m));
    access.push({ method: 'lowp Fp16Array get(i)', ...measure(() => { let acc = 0; for (let i = 0; i < m; i++) acc += h.get(i); sink += acc; }, m, reps) });
    access.push({ method: 'lowp Fp16Array set(i, x)', ...measure(() => { for (let i = 0; i < m; i++) h.set(i, src[i]); }, m, reps) });
  }
  globalThis.__sink = sink;
}

process.stdout.write(JSON.stringify({ node: process.version, n, reps, data: kind, rows, ratios, access, candidateFailures }));
