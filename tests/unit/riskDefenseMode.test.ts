import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_DEFENSE_RULES,
  initialDefenseState,
  stepDefense,
  type DefenseInput,
  type DefenseState,
} from '../../domain/risk/defenseMode';
import { oneMonthBefore, weekdayWindowStart } from '../../domain/risk/riskDates';

function run(inputs: DefenseInput[], start: DefenseState = initialDefenseState()) {
  let state = start;
  const changes = [];
  for (const input of inputs) {
    const step = stepDefense(state, input);
    state = step.state;
    if (step.change) changes.push(step.change);
  }
  return { state, changes };
}

const trade = (i: number, win: boolean, date = '2025-03-10', session = 'open'): DefenseInput => ({
  type: 'trade',
  at: `${date}T15:${String(i % 60).padStart(2, '0')}:00.000Z`,
  date,
  sessionKey: `${date}|${session}`,
  win,
});

void test('dates: one month back and a 20-weekday window', () => {
  assert.equal(oneMonthBefore('2025-03-31'), '2025-02-28');
  assert.equal(oneMonthBefore('2024-03-31'), '2024-02-29');
  assert.equal(oneMonthBefore('2025-01-15'), '2024-12-15');
  assert.equal(weekdayWindowStart('2025-03-14', 20), '2025-02-17'); // Fri back 20 weekdays -> Mon 4 weeks earlier
  assert.equal(weekdayWindowStart('2025-03-15', 1), '2025-03-14'); // Saturday -> Friday
});

void test('win-rate trigger: below 50% over the month with at least 10 trades; exactly 50% does not trigger', () => {
  const fiveFive = run([...Array.from({ length: 5 }, (_, i) => trade(i, true)), ...Array.from({ length: 5 }, (_, i) => trade(i + 5, false))]);
  assert.equal(fiveFive.state.active, false);
  const nineLosses = run(Array.from({ length: 9 }, (_, i) => trade(i, false)));
  assert.equal(nineLosses.state.active, false, 'fewer than 10 trades never trigger');
  const fourSix = run([...Array.from({ length: 4 }, (_, i) => trade(i, true)), ...Array.from({ length: 6 }, (_, i) => trade(i + 4, false))]);
  assert.equal(fourSix.state.active, true);
  assert.equal(fourSix.changes.length, 1);
  assert.equal(fourSix.changes[0].trigger.kind, 'win_rate');
  assert.equal(fourSix.state.source, 'auto');
});

void test('win-rate window rolls: trades older than a month do not count', () => {
  const old = Array.from({ length: 10 }, (_, i) => trade(i, false, '2025-01-10'));
  const recent = Array.from({ length: 10 }, (_, i) => trade(i, true, '2025-03-10'));
  const { state } = run([...old.slice(0, 9), ...recent]);
  assert.equal(state.active, false);
  assert.ok(state.monthTrades.every((t) => t.date > '2025-02-10'));
});

void test('drawdown trigger: more than 15% below the starting float; exactly 15% does not trigger', () => {
  const at = '2025-03-10T14:00:00.000Z';
  const exact = run([
    { type: 'float', at, broker: 'alpaca', float: 10_000 },
    { type: 'float', at, broker: 'alpaca', float: 8_500 },
  ]);
  assert.equal(exact.state.active, false);
  const over = run([
    { type: 'float', at, broker: 'alpaca', float: 10_000 },
    { type: 'float', at, broker: 'ibkr', float: 5_000 },
    { type: 'float', at, broker: 'alpaca', float: 8_499.99 },
  ]);
  assert.equal(over.state.active, true);
  assert.deepEqual(over.changes[0].trigger, { kind: 'drawdown', broker: 'alpaca', startingFloat: 10_000, float: 8_499.99, drawdown: (10_000 - 8_499.99) / 10_000 });
});

void test('kill-switch trigger: more than twice within 20 trading days', () => {
  const kill = (date: string, broker = 'alpaca'): DefenseInput => ({ type: 'kill', at: `${date}T18:00:00.000Z`, date, broker });
  assert.equal(run([kill('2025-03-03'), kill('2025-03-05')]).state.active, false);
  assert.equal(run([kill('2025-03-03'), kill('2025-03-05'), kill('2025-03-05', 'ibkr')]).state.active, true);
  // The first firing is 21 weekdays before the third: outside the window.
  const spread = run([kill('2025-02-07'), kill('2025-02-20'), kill('2025-03-10')]);
  assert.equal(spread.state.active, false);
  assert.equal(spread.state.kills.length, 2);
  const inside = run([kill('2025-02-11'), kill('2025-02-20'), kill('2025-03-10')]);
  assert.equal(inside.state.active, true);
});

void test('manual on is sticky: exit criteria do not end it; manual off does', () => {
  const on = stepDefense(initialDefenseState(), { type: 'manual', at: '2025-03-10T13:00:00.000Z', active: true, by: 'cli', reason: 'test' });
  assert.equal(on.state.active, true);
  const wins = run(Array.from({ length: 80 }, (_, i) => trade(i, true)), on.state);
  assert.equal(wins.state.active, true);
  const off = stepDefense(wins.state, { type: 'manual', at: '2025-03-10T20:00:00.000Z', active: false, by: 'cli', reason: 'done' });
  assert.equal(off.state.active, false);
  assert.equal(off.change?.change, 'deactivated');
});

void test('config: edge-triggered; turning it off ends only a config activation', () => {
  const at = '2025-03-10T13:00:00.000Z';
  const on = run([{ type: 'config', at, active: true }]);
  assert.equal(on.state.active, true);
  assert.equal(on.state.source, 'config');
  const again = stepDefense(on.state, { type: 'config', at, active: true });
  assert.equal(again.change, null);
  const off = stepDefense(on.state, { type: 'config', at, active: false });
  assert.equal(off.state.active, false);
  const manual = run([{ type: 'manual', at, active: true, by: 'cli', reason: '' }, { type: 'config', at, active: true }, { type: 'config', at, active: false }]);
  assert.equal(manual.state.active, false, 'the config source had taken over');
});

function autoActivated(): DefenseState {
  const { state } = run(Array.from({ length: 10 }, (_, i) => trade(i, false)));
  assert.equal(state.active, true);
  return state;
}

void test('exit after 60 trades above 55%; exactly 55% (33 of 60) does not exit', () => {
  const start = autoActivated();
  const at55 = run([...Array.from({ length: 33 }, (_, i) => trade(i, true, '2025-03-11')), ...Array.from({ length: 27 }, (_, i) => trade(i, false, '2025-03-11'))], start);
  assert.equal(at55.state.active, true);
  const above = run([...Array.from({ length: 34 }, (_, i) => trade(i, true, '2025-03-11')), ...Array.from({ length: 26 }, (_, i) => trade(i, false, '2025-03-11'))], start);
  // The wins come first, so the 60-trade window is only complete at the last trade.
  assert.equal(above.state.active, false);
  assert.equal(above.changes[0].trigger.kind, 'exit_trades');
});

void test('exit after 30 sessions above 55% together', () => {
  const start = autoActivated();
  const inputs: DefenseInput[] = [];
  for (let s = 0; s < 30; s++) inputs.push(trade(s, true, '2025-03-11', `s${s}`));
  const { state, changes } = run(inputs, start);
  assert.equal(state.active, false);
  assert.equal(changes[0].trigger.kind, 'exit_sessions');
});

void test('after an exit the evidence starts afresh: old losses cannot switch it straight back on', () => {
  const start = autoActivated();
  const exitInputs: DefenseInput[] = [];
  for (let s = 0; s < 30; s++) exitInputs.push(trade(s, true, '2025-03-11', `s${s}`));
  const exited = run(exitInputs, start);
  assert.equal(exited.state.active, false);
  assert.equal(exited.state.monthTrades.length, 0);
  const oneLoss = stepDefense(exited.state, trade(1, false, '2025-03-12'));
  assert.equal(oneLoss.state.active, false);
});

void test('property: any input sequence alternates changes correctly and never exits a manual activation by itself', () => {
  const inputArb: fc.Arbitrary<DefenseInput> = fc.oneof(
    fc.record({ type: fc.constant('trade' as const), at: fc.constant('2025-03-10T15:00:00.000Z'), date: fc.constantFrom('2025-03-10', '2025-03-11'), sessionKey: fc.constantFrom('a', 'b', 'c'), win: fc.boolean() }),
    fc.record({ type: fc.constant('kill' as const), at: fc.constant('2025-03-10T15:00:00.000Z'), date: fc.constantFrom('2025-03-10', '2025-03-11'), broker: fc.constantFrom('alpaca', 'ibkr') }),
    fc.record({ type: fc.constant('float' as const), at: fc.constant('2025-03-10T15:00:00.000Z'), broker: fc.constantFrom('alpaca', 'ibkr'), float: fc.double({ min: 1, max: 20_000, noNaN: true }) }),
    fc.record({ type: fc.constant('manual' as const), at: fc.constant('2025-03-10T15:00:00.000Z'), active: fc.boolean(), by: fc.constant('cli'), reason: fc.constant('') }),
    fc.record({ type: fc.constant('config' as const), at: fc.constant('2025-03-10T15:00:00.000Z'), active: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(inputArb, { maxLength: 200 }), (inputs) => {
      let state = initialDefenseState();
      for (const input of inputs) {
        const before = state;
        const step = stepDefense(state, input, DEFAULT_DEFENSE_RULES);
        state = step.state;
        if (step.change?.change === 'activated') assert.equal(before.active, false);
        if (step.change?.change === 'deactivated') assert.equal(before.active, true);
        if (!step.change) assert.equal(state.active, before.active);
        if (before.active && before.source === 'manual' && !state.active) assert.equal(input.type, 'manual');
        assert.equal(state.active, state.source !== null);
        assert.ok(state.exitTradeWins.length <= DEFAULT_DEFENSE_RULES.exitTrades);
        assert.ok(state.exitSessions.length <= DEFAULT_DEFENSE_RULES.exitSessions);
      }
    }),
    { numRuns: 500 },
  );
});
