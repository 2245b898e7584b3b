import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { strategyEnabled, strategyKeyName, strategySetting } from '../../domain/config/strategySettings';
import { STRATEGY_NAMES } from '../../domain/vocabulary';

// The one accessor for per-strategy settings (domain/config/strategySettings.ts).
test('each strategy reads its own suffixed key', () => {
  const cfg = { ...defaultBotConfig(), START_TIME_OPEN: '14:31', START_TIME_MID: '15:32', START_TIME_CLOSE: '19:33', MAX_GAP_PCT_MID: 0.07 };
  assert.deepEqual(STRATEGY_NAMES.map((s) => strategySetting(cfg, s, 'START_TIME')), ['14:31', '15:32', '19:33']);
  assert.equal(strategySetting(cfg, 'mid', 'MAX_GAP_PCT'), 0.07);
  assert.equal(strategySetting(cfg, 'close', 'SHORT_TYPE'), cfg.SHORT_TYPE_CLOSE);
  assert.equal(strategyKeyName('START_TIME', 'close'), 'START_TIME_CLOSE');
});

test('STRAT_<STRATEGY>_ENABLED by strategy', () => {
  const cfg = { ...defaultBotConfig(), STRAT_OPEN_ENABLED: true, STRAT_MID_ENABLED: false, STRAT_CLOSE_ENABLED: true };
  assert.deepEqual(STRATEGY_NAMES.map((s) => strategyEnabled(cfg, s)), [true, false, true]);
});
