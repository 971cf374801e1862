// Helper of bench/convert.mjs (run with --candidates): faster formulations of the bulk conversions,
// proposed for src/formats/fast16.ts and measured beside the current ones in the same run. Each gives
// bit-identical output to lowp's default policy (checked by convert.mjs on the benchmark data, and over
// all 65,536 codes for the decoders by `checkCandidates`). The ideas:
//   - pairs: read or write two 16-bit codes as one 32-bit word (half the loads/stores of the 16-bit
//     side; little-endian platforms, 4-byte-aligned part of the array; the odd element done alone);
//   - table: fp16 -> float32 bits by lookup in a 65,536-entry Int32Array (256 KiB, stays in L2);
//   - native: where the runtime has Float16Array (Node >= 24), its set() for float32 -> fp16, which
//     rounds to nearest even and writes NaN as 0x7E00 | sign, exactly lowp's policy.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function f32BitsToFp16(u) {
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a >= 0x38800000) {
    if (a >= 0x477ff000) return a > 0x7f800000 ? sign | 0x7e00 : sign | 0x7c00;
    return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
  }
  if (a <= 0x33000000) return sign;
  const e = a >>> 23;
  const mant = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let n = mant >>> shift;
  const rem = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (n & 1) === 1)) n++;
  return sign | n;
}

function fp16ToF32Bits(h) {
  const sign = (h & 0x8000) << 16;
  const e = h & 0x7c00;
  if (e === 0x7c00) return (sign | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0;
  if (e !== 0) return (sign | (((h & 0x7fff) << 13) + 0x38000000)) >>> 0;
  const m = h & 0x3ff;
  if (m === 0) return sign >>> 0;
  const s = Math.clz32(m) - 21;
  return (sign | ((113 - s) << 23) | (((m << s) & 0x3ff) << 13)) >>> 0;
}

const bf16Of = (u) => ((u & 0x7fffffff) > 0x7f800000 ? ((u >>> 16) & 0x8000) | 0x7fc0 : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16);

/** The 16-bit array split into an unaligned head element (if any) and a 4-byte-aligned run of pairs. */
function split(codes) {
  const head = codes.byteOffset % 4 === 0 ? 0 : 1;
  const pairs = LITTLE_ENDIAN ? (codes.length - head) >>> 1 : 0;
  return { head, pairs, tail: head + 2 * pairs };
}

/** float32 -> fp16 with two codes per 32-bit store. */
export function pairsF32ToFp16(src, out16) {
  const n = src.length;
  const s = new Int32Array(src.buffer, src.byteOffset, n);
  const { head, pairs, tail } = split(out16);
  if (head) out16[0] = f32BitsToFp16(s[0] >>> 0);
  const o = new Int32Array(out16.buffer, out16.byteOffset + 2 * head, pairs);
  for (let j = 0, i = head; j < pairs; j++, i += 2) {
    const u0 = s[i], u1 = s[i + 1];
    const a0 = u0 & 0x7fffffff, a1 = u1 & 0x7fffffff;
    const h0 = a0 >= 0x38800000 && a0 < 0x477ff000 ? ((u0 >>> 16) & 0x8000) | ((a0 - 0x37fff001 + ((a0 >>> 13) & 1)) >>> 13) : f32BitsToFp16(u0 >>> 0);
    const h1 = a1 >= 0x38800000 && a1 < 0x477ff000 ? ((u1 >>> 16) & 0x8000) | ((a1 - 0x37fff001 + ((a1 >>> 13) & 1)) >>> 13) : f32BitsToFp16(u1 >>> 0);
    o[j] = h0 | (h1 << 16);
  }
  for (let i = tail; i < n; i++) out16[i] = f32BitsToFp16(s[i] >>> 0);
}

/** float32 -> fp16 through the native Float16Array (undefined where the runtime has none). */
export const nativeF32ToFp16 = typeof globalThis.Float16Array === 'function'
  ? (src, out16) => new globalThis.Float16Array(out16.buffer, out16.byteOffset, out16.length).set(src)
  : undefined;

const TABLE = new Int32Array(65536);
for (let c = 0; c < 65536; c++) TABLE[c] = fp16ToF32Bits(c);

/** fp16 -> float32 by table lookup, two codes per 32-bit load. */
export function tablePairsFp16ToF32(codes, out) {
  const n = codes.length;
  const o = new Int32Array(out.buffer, out.byteOffset, n);
  const { head, pairs, tail } = split(codes);
  if (head) o[0] = TABLE[codes[0]];
  const w32 = new Int32Array(codes.buffer, codes.byteOffset + 2 * head, pairs);
  for (let j = 0, i = head; j < pairs; j++, i += 2) {
    const w = w32[j];
    o[i] = TABLE[w & 0xffff];
    o[i + 1] = TABLE[w >>> 16];
  }
  for (let i = tail; i < n; i++) o[i] = TABLE[codes[i]];
}

/** float32 -> bf16 with two codes per 32-bit store. */
export function pairsF32ToBf16(src, out16) {
  const n = src.length;
  const s = new Int32Array(src.buffer, src.byteOffset, n);
  const { head, pairs, tail } = split(out16);
  if (head) out16[0] = bf16Of(s[0]);
  const o = new Int32Array(out16.buffer, out16.byteOffset + 2 * head, pairs);
  for (let j = 0, i = head; j < pairs; j++, i += 2) {
    const u0 = s[i], u1 = s[i + 1];
    const h0 = (u0 & 0x7fffffff) > 0x7f800000 ? ((u0 >>> 16) & 0x8000) | 0x7fc0 : (u0 + 0x7fff + ((u0 >>> 16) & 1)) >>> 16;
    const h1 = (u1 & 0x7fffffff) > 0x7f800000 ? ((u1 >>> 16) & 0x8000) | 0x7fc0 : (u1 + 0x7fff + ((u1 >>> 16) & 1)) >>> 16;
    o[j] = h0 | (h1 << 16);
  }
  for (let i = tail; i < n; i++) out16[i] = bf16Of(s[i]);
}

/** bf16 -> float32 with two codes per 32-bit load. */
export function pairsBf16ToF32(codes, out) {
  const n = codes.length;
  const o = new Int32Array(out.buffer, out.byteOffset, n);
  const { head, pairs, tail } = split(codes);
  if (head) o[0] = codes[0] << 16;
  const w32 = new Int32Array(codes.buffer, codes.byteOffset + 2 * head, pairs);
  for (let j = 0, i = head; j < pairs; j++, i += 2) {
    const w = w32[j];
    o[i] = w << 16;
    o[i + 1] = w & 0xffff0000;
  }
  for (let i = tail; i < n; i++) o[i] = codes[i] << 16;
}

/**
 * Checks the decoders on all 65,536 codes and every encoder on the given float32 values (at an aligned
 * and an unaligned offset) against lowp's encodeArray/decodeArray; returns a list of failures.
 */
export function checkCandidates(lowp, sample) {
  const failures = [];
  const codes = new Uint16Array(65537);
  for (let c = 0; c < 65536; c++) codes[c + 1] = c;
  for (const off of [0, 1]) {
    const view = codes.subarray(off, off + 65536 - off);
    for (const [name, fn, fmt] of [['tablePairsFp16ToF32', tablePairsFp16ToF32, 'fp16'], ['pairsBf16ToF32', pairsBf16ToF32, 'bf16']]) {
      const want = new Uint32Array(lowp.decodeArray(view, fmt).buffer);
      const got = new Float32Array(view.length);
      fn(view, got);
      const g = new Uint32Array(got.buffer);
      for (let i = 0; i < want.length; i++) if (g[i] !== want[i]) { failures.push(`${name} offset ${off}: code ${view[i]}`); break; }
    }
  }
  const encoders = [['pairsF32ToFp16', pairsF32ToFp16, 'fp16'], ['pairsF32ToBf16', pairsF32ToBf16, 'bf16']];
  if (nativeF32ToFp16) encoders.push(['nativeF32ToFp16', nativeF32ToFp16, 'fp16']);
  const buf = new Uint16Array(sample.length + 1);
  for (const off of [0, 1]) {
    const src = sample.subarray(0, sample.length - off);
    for (const [name, fn, fmt] of encoders) {
      const want = lowp.encodeArray(src, fmt);
      const out = buf.subarray(off, off + src.length);
      fn(src, out);
      for (let i = 0; i < want.length; i++) if (out[i] !== want[i]) { failures.push(`${name} offset ${off}: input ${src[i]}`); break; }
    }
  }
  return failures;
}
