import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { brokerEndpointMode, enabledBrokerModes, mixedModeProblem, outputMode, outputModeOf, routingFlagsOf, type EndpointMode } from '../../domain/routing';

const brokerModesArb = fc.array(fc.constantFrom<EndpointMode>('paper', 'live'), { minLength: 1, maxLength: 2 });

test('TEST_MODE or FORCE_PAPER_EXPORT never routes to _live; backtests always to _backtest; _live needs a live broker', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.boolean(), brokerModesArb, (TEST_MODE, FORCE_PAPER_EXPORT, backtest, brokerModes) => {
      const mode = outputMode({ TEST_MODE, FORCE_PAPER_EXPORT, brokerModes, backtest });
      if (backtest) return mode === 'backtest';
      if (TEST_MODE || FORCE_PAPER_EXPORT) return mode === 'paper';
      return mode === (brokerModes.includes('live') ? 'live' : 'paper');
    }),
  );
});

test('every broker combination with TEST_MODE=false and FORCE_PAPER_EXPORT=false', () => {
  const base = { ...defaultBotConfig(), TEST_MODE: false, FORCE_PAPER_EXPORT: false };
  const cases: { alpaca: EndpointMode | null; ibkr: EndpointMode | null; mode: 'paper' | 'live' }[] = [
    { alpaca: 'paper', ibkr: null, mode: 'paper' },
    { alpaca: 'live', ibkr: null, mode: 'live' },
    { alpaca: null, ibkr: 'paper', mode: 'paper' },
    { alpaca: null, ibkr: 'live', mode: 'live' },
    { alpaca: 'paper', ibkr: 'paper', mode: 'paper' },
    { alpaca: 'live', ibkr: 'live', mode: 'live' },
    // A mix is refused by config validation; if one gets here, live money keeps the live books.
    { alpaca: 'paper', ibkr: 'live', mode: 'live' },
    { alpaca: 'live', ibkr: 'paper', mode: 'live' },
  ];
  for (const c of cases) {
    const cfg = {
      ...base,
      ALPACA_ENABLED: c.alpaca !== null,
      ALPACA_MODE: c.alpaca ?? (c.ibkr === 'paper' ? 'live' : 'paper'),
      IBKR_ENABLED: c.ibkr !== null,
      IBKR_MODE: c.ibkr ?? (c.alpaca === 'paper' ? 'live' : 'paper'),
    };
    const label = `alpaca=${c.alpaca ?? 'off'} ibkr=${c.ibkr ?? 'off'}`;
    // A disabled broker's mode never counts (it is set to the other value above on purpose).
    assert.deepEqual(enabledBrokerModes(cfg), [c.alpaca, c.ibkr].filter((m) => m !== null), label);
    assert.equal(outputModeOf(cfg), c.mode, label);
    assert.equal(outputModeOf({ ...cfg, FORCE_PAPER_EXPORT: true }), 'paper', label);
    assert.equal(outputModeOf({ ...cfg, TEST_MODE: true }), 'paper', label);
    assert.equal(outputMode(routingFlagsOf(cfg, true)), 'backtest', label);
    const mixed = c.alpaca !== null && c.ibkr !== null && c.alpaca !== c.ibkr;
    assert.equal(mixedModeProblem(cfg) !== null, mixed, label);
    assert.equal(mixedModeProblem({ ...cfg, TEST_MODE: true }), null, label);
  }
});

test('TEST_MODE never reaches a live broker endpoint', () => {
  assert.equal(brokerEndpointMode({ TEST_MODE: true }, 'live'), 'paper');
  assert.equal(brokerEndpointMode({ TEST_MODE: true }, 'paper'), 'paper');
  assert.equal(brokerEndpointMode({ TEST_MODE: false }, 'live'), 'live');
});
