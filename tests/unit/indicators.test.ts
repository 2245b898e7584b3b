import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamingAdx } from '../../domain/indicators/adx';
import { StreamingBollinger } from '../../domain/indicators/bollinger';
import { ReturnStats, RunningStats } from '../../domain/indicators/rollingStats';
import { StreamingVwap } from '../../domain/indicators/vwap';
import type { Bar } from '../../domain/market/bar';

const close = (a: number, b: number, rel = 1e-9) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b)), `${a} vs ${b}`);

function bar(i: number, h: number, l: number, c: number, v = 100): Bar {
  return { t: i * 60_000, o: c, h, l, c, v };
}

/** Random but valid bars: a walk with a high/low around open and close. */
const barsArb = (maxLength: number) =>
  fc
    .array(
      fc.record({
        ret: fc.double({ min: -0.02, max: 0.02, noNaN: true }),
        up: fc.double({ min: 0, max: 0.01, noNaN: true }),
        down: fc.double({ min: 0, max: 0.01, noNaN: true }),
        v: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
      }),
      { maxLength },
    )
    .map((steps) => {
      let prev = 50;
      return steps.map((s, i): Bar => {
        const o = prev;
        const c = prev * (1 + s.ret);
        prev = c;
        return { t: i * 60_000, o, h: Math.max(o, c) * (1 + s.up), l: Math.min(o, c) * (1 - s.down), c, v: s.v };
      });
    });

// ---------- reference computations, from scratch over the whole prefix ----------

function refVwap(bars: readonly Bar[]): number | null {
  let pv = 0;
  let v = 0;
  for (const b of bars) {
    if (b.v > 0) {
      pv += ((b.h + b.l + b.c) / 3) * b.v;
      v += b.v;
    }
  }
  return v > 0 ? pv / v : null;
}

/** ADX(14) exactly as the spec words it, array by array. */
function refAdx(bars: readonly Bar[], p = 14): number | null {
  const n = bars.length;
  const tr: number[] = [];
  const pdm: number[] = [];
  const mdm: number[] = [];
  for (let i = 1; i < n; i++) {
    const b = bars[i]!;
    const q = bars[i - 1]!;
    tr[i] = Math.max(b.h - b.l, Math.abs(b.h - q.c), Math.abs(b.l - q.c));
    const up = b.h - q.h;
    const down = q.l - b.l;
    pdm[i] = up > down && up > 0 ? up : 0;
    mdm[i] = down > up && down > 0 ? down : 0;
  }
  if (n < 2 * p) return null;
  const dx: number[] = [];
  let sTr = 0;
  let sP = 0;
  let sM = 0;
  for (let i = 1; i < n; i++) {
    if (i <= p) {
      sTr += tr[i]!;
      sP += pdm[i]!;
      sM += mdm[i]!;
      if (i < p) continue;
    } else {
      sTr = sTr - sTr / p + tr[i]!;
      sP = sP - sP / p + pdm[i]!;
      sM = sM - sM / p + mdm[i]!;
    }
    const pdi = sTr === 0 ? 0 : (100 * sP) / sTr;
    const mdi = sTr === 0 ? 0 : (100 * sM) / sTr;
    dx[i] = pdi + mdi === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
  }
  let adx = 0;
  for (let i = p; i <= 2 * p - 1; i++) adx += dx[i]!;
  adx /= p;
  for (let i = 2 * p; i < n; i++) adx = (adx * (p - 1) + dx[i]!) / p;
  return adx;
}

function refBollinger(closes: readonly number[], p = 20, k = 2) {
  if (closes.length < p) return null;
  const w = closes.slice(-p);
  const mean = w.reduce((a, b) => a + b, 0) / p;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / p);
  return { middle: mean, upper: mean + k * std, lower: mean - k * std };
}

function refStd(xs: readonly number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
}

// ---------- hand values ----------

void test('VWAP hand values; undefined until volume, zero-volume bars add nothing', () => {
  const v = new StreamingVwap();
  assert.equal(v.value, null);
  v.update(bar(0, 12, 9, 9, 0));
  assert.equal(v.value, null);
  v.update(bar(1, 12, 9, 9, 100)); // typical 10
  assert.equal(v.value, 10);
  v.update(bar(2, 22, 19, 19, 300)); // typical 20
  assert.equal(v.value, (10 * 100 + 20 * 300) / 400);
  v.update(bar(3, 1000, 1, 1, 0));
  assert.equal(v.value, 17.5);
});

void test('ADX hand values: steady trend gives 100, flat bars give 0, null before 28 bars', () => {
  const up = new StreamingAdx();
  for (let i = 0; i < 27; i++) up.update(bar(i, i + 1, i, i + 0.5));
  assert.equal(up.value, null);
  up.update(bar(27, 28, 27, 27.5));
  assert.equal(up.value, 100);
  close(up.plusDi!, (100 * 14) / 21); // +DM 1, TR 1.5 each bar
  assert.equal(up.minusDi, 0);
  const flat = new StreamingAdx();
  for (let i = 0; i < 40; i++) flat.update(bar(i, 10, 10, 10));
  assert.equal(flat.value, 0);
});

void test('ADX: equal up and down moves are ties and give no directional movement', () => {
  const a = new StreamingAdx();
  // Each bar widens both ways by 1: up == down, so +DM = -DM = 0, DX = 0.
  for (let i = 0; i < 30; i++) a.update(bar(i, 10 + i, 10 - i, 10));
  assert.equal(a.plusDi, 0);
  assert.equal(a.minusDi, 0);
  assert.equal(a.value, 0);
});

void test('Bollinger hand values: 1..20 and a flat window', () => {
  const b = new StreamingBollinger(20, 2);
  for (let i = 1; i <= 19; i++) b.update(i);
  assert.equal(b.bands, null);
  b.update(20);
  const std = Math.sqrt(399 / 12);
  close(b.bands!.middle, 10.5);
  close(b.bands!.upper, 10.5 + 2 * std);
  close(b.bands!.lower, 10.5 - 2 * std);
  const flat = new StreamingBollinger(20, 2);
  for (let i = 0; i < 25; i++) flat.update(i < 5 ? 1 + i : 101.37);
  assert.deepEqual(flat.bands, { middle: 101.37, upper: 101.37, lower: 101.37, std: 0 });
});

void test('RunningStats and ReturnStats hand values', () => {
  const s = new RunningStats();
  assert.ok(Number.isNaN(s.mean));
  for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) s.push(x);
  assert.equal(s.mean, 5);
  assert.equal(s.populationStd, 2);
  const r = new ReturnStats();
  for (const c of [100, 110, 99]) r.push(c);
  assert.equal(r.count, 2);
  close(r.populationStd, refStd([0.1, 99 / 110 - 1]));
});

// ---------- streaming vs reference ----------

void test('streaming indicators equal the from-scratch references after every bar', () => {
  fc.assert(
    fc.property(barsArb(80), (bars) => {
      const vwap = new StreamingVwap();
      const adx = new StreamingAdx();
      const boll = new StreamingBollinger();
      const rets = new ReturnStats();
      for (let i = 0; i < bars.length; i++) {
        const b = bars[i]!;
        vwap.update(b);
        adx.update(b);
        boll.update(b.c);
        rets.push(b.c);
        const prefix = bars.slice(0, i + 1);
        const rv = refVwap(prefix);
        if (rv === null) assert.equal(vwap.value, null);
        else close(vwap.value!, rv);
        const ra = refAdx(prefix);
        if (ra === null) assert.equal(adx.value, null);
        else close(adx.value!, ra, 1e-9);
        const rb = refBollinger(prefix.map((x) => x.c));
        if (rb === null) assert.equal(boll.bands, null);
        else {
          close(boll.bands!.middle, rb.middle);
          close(boll.bands!.upper, rb.upper);
          close(boll.bands!.lower, rb.lower);
        }
        const returns = prefix.slice(1).map((x, j) => x.c / prefix[j]!.c - 1);
        assert.equal(rets.count, returns.length);
        if (returns.length > 0) close(rets.populationStd, refStd(returns), 1e-7);
      }
    }),
    { numRuns: 60 },
  );
});
