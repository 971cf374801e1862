// The lr schedule of an HF Trainer run, inferred from what the checkpoint holds: trainer_state.json has
// max_steps and the learning rate logged every logging_steps (log_history), the optimizer's param groups
// have the peak lr (initial_lr, set by the LR scheduler) and the lr of the next step. The scheduler's
// type is saved nowhere (scheduler.pt holds a LambdaLR whose lambda is not pickled), so the logged lrs are
// fitted with HF's schedule family, generalised so that HF's own variants fit exactly:
//
//   λ(t) = a + (1 − a)·t/w                     for t < w (warmup; HF: a = 0)
//   λ(t) = f + (1 − f)·d(t)                    after it, d = 1 (constant), (T − t)/(T − w) (linear), or
//                                              ½(1 + cos(π(t − w)/(T − w))) (cosine); HF: f = 0, or
//                                              min_lr_rate for cosine_with_min_lr
//
// with lr(t) = peak·λ(t) the lr of the update made after t scheduler steps (HF logs get_last_lr() after
// step t, which is that value). For each kind the warmup w is searched, a and f are least-squares fits;
// the kind with the smallest largest relative error is kept, and the fit error is reported. `--schedule
// linear|cosine|constant` fixes the kind (HF's default is linear), `--schedule none` skips the schedule.

import { fmtCount, fmtNum } from './units.js';

/** A schedule kind: HF's get_linear_schedule_with_warmup, cosine (half a cycle), constant. */
export type ScheduleKind = 'linear' | 'cosine' | 'constant';

/** What the fit found. */
export interface FittedSchedule {
  kind: ScheduleKind;
  /** Peak lr (the groups' initial_lr). */
  peakLr: number;
  /** Warmup steps. */
  warmupSteps: number;
  /** λ at the start of warmup. */
  warmupStart: number;
  /** λ at the end (the floor, as a fraction of the peak). */
  floor: number;
  /** The last step (trainer_state.json's max_steps). */
  maxSteps: number;
  /** Points fitted (logged lrs and the groups' current lr). */
  points: number;
  /** Largest relative error of the fit over those points. */
  maxRelError: number;
  /** 'fitted' (kind chosen by the fit) or 'given' (--schedule). */
  source: 'fitted' | 'given';
}

/** λ of a schedule at step t. */
export function scheduleFactor(s: Pick<FittedSchedule, 'kind' | 'warmupSteps' | 'warmupStart' | 'floor' | 'maxSteps'>, t: number): number {
  const { kind, warmupSteps: w, warmupStart: a, floor: f, maxSteps: T } = s;
  if (t < w) return a + ((1 - a) * t) / Math.max(1, w);
  return f + (1 - f) * decay(kind, t, w, T);
}

function decay(kind: ScheduleKind, t: number, w: number, T: number): number {
  if (kind === 'constant') return 1;
  const progress = (t - w) / Math.max(1, T - w);
  if (kind === 'linear') return Math.max(0, 1 - progress);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(progress, 1))));
}

/**
 * Fits the schedule to the points (step, lr). Null when there is nothing to fit (no peak lr, no
 * max_steps, or no point).
 */
export function fitSchedule(points: ReadonlyArray<readonly [number, number]>, peakLr: number | undefined, maxSteps: number | undefined, kind?: ScheduleKind): FittedSchedule | null {
  if (peakLr === undefined || !(peakLr > 0) || maxSteps === undefined || !(maxSteps > 0)) return null;
  let pts = points.filter(([t, lr]) => Number.isFinite(t) && t >= 0 && Number.isFinite(lr) && lr >= 0).map(([t, lr]) => [t, lr / peakLr] as const);
  if (pts.length === 0) return null;
  // bounded work on long runs: at most 2,000 points (evenly strided, the last kept), 400 warmup candidates
  if (pts.length > 2000) {
    const stride = Math.ceil(pts.length / 2000);
    pts = pts.filter((_, i) => i % stride === 0 || i === pts.length - 1);
  }
  const lastStep = pts.reduce((m, [t]) => Math.max(m, t), 0);
  const top = Math.min(lastStep, maxSteps);
  const warmups = new Set<number>();
  if (top <= 400) for (let w = 0; w <= top; w++) warmups.add(w);
  else {
    warmups.add(0);
    for (const [t] of pts) if (t <= top && warmups.size < 200) warmups.add(Math.round(t));
    for (let q = 0; q <= 200; q++) warmups.add(Math.round((q * top) / 200));
  }
  const kinds: ScheduleKind[] = kind ? [kind] : ['linear', 'cosine', 'constant'];
  let best: FittedSchedule | null = null;
  for (const k of kinds) {
    for (const w of [...warmups].sort((x, y) => x - y)) {
      // warmup start a from the points before w; floor f from the points after
      let na = 0, da = 0, nf = 0, df = 0;
      for (const [t, l] of pts) {
        if (t < w) {
          const r = t / Math.max(1, w);
          na += (l - r) * (1 - r);
          da += (1 - r) * (1 - r);
        } else if (k !== 'constant') {
          const d = decay(k, t, w, maxSteps);
          nf += (l - d) * (1 - d);
          df += (1 - d) * (1 - d);
        }
      }
      const a = da > 0 ? clamp01(na / da) : 0;
      const f = df > 0 ? clamp01(nf / df) : 0;
      const cand = { kind: k, peakLr, warmupSteps: w, warmupStart: a, floor: f, maxSteps, points: pts.length, maxRelError: 0, source: kind ? 'given' as const : 'fitted' as const };
      let err = 0;
      for (const [t, l] of pts) {
        const p = scheduleFactor(cand, t);
        const e = l === 0 ? (p === 0 ? 0 : 1) : Math.abs(p - l) / l;
        if (e > err) err = e;
      }
      cand.maxRelError = err;
      // strictly better only: ties keep the earlier kind (linear, HF's default) and the shorter warmup
      if (best === null || err < best.maxRelError - 1e-12) best = cand;
    }
  }
  return best;
}

/** A fitted fraction in [0, 0.999]; rounding noise around 0 (HF's own schedules) is 0. */
function clamp01(x: number): number {
  return x < 1e-9 ? 0 : x > 0.999 ? 0.999 : x;
}

/** One line about the schedule: "cosine, warmup 20 steps from 10%, to a floor of 10% at step 400 (fits the 21 logged lrs within 0.1%)". */
export function describeSchedule(s: FittedSchedule): string {
  const pct = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;
  const warm = s.warmupSteps > 0 ? `, warmup ${s.warmupSteps} steps${s.warmupStart > 0 ? ` from ${pct(s.warmupStart)} of the peak` : ''}` : ', no warmup';
  const floor = s.kind === 'constant' ? '' : s.floor > 0 ? ` to ${pct(s.floor)} of the peak` : ' to 0';
  const err = s.maxRelError < 1e-9 ? 'exactly' : `within ${Number((s.maxRelError * 100).toPrecision(2))}%`;
  const fit = `${s.source === 'given' ? 'as --schedule says; ' : ''}fits the ${s.points} known lr${s.points === 1 ? '' : 's'} ${err}`;
  return `${s.kind}${warm}${floor} at step ${fmtCount(s.maxSteps)} (peak lr ${fmtNum(s.peakLr)}; ${fit})`;
}
