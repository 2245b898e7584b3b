import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { brokerEndpointMode, outputMode } from '../../domain/routing';

test('TEST_MODE or FORCE_PAPER_EXPORT never routes to _live; backtests always to _backtest', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (TEST_MODE, FORCE_PAPER_EXPORT, backtest) => {
      const mode = outputMode({ TEST_MODE, FORCE_PAPER_EXPORT, backtest });
      if (backtest) return mode === 'backtest';
      if (TEST_MODE || FORCE_PAPER_EXPORT) return mode === 'paper';
      return mode === 'live';
    }),
  );
});

test('TEST_MODE never reaches a live broker endpoint', () => {
  assert.equal(brokerEndpointMode({ TEST_MODE: true }, 'live'), 'paper');
  assert.equal(brokerEndpointMode({ TEST_MODE: true }, 'paper'), 'paper');
  assert.equal(brokerEndpointMode({ TEST_MODE: false }, 'live'), 'live');
});
