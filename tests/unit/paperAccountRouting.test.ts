import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { createSchedulingActivities } from '../../activities/schedulingActivities';
import { parseConfig } from '../../domain/config/parseConfig';
import { outputModeOf } from '../../domain/routing';
import { dayIdFor } from '../../scripts/commands/shared';
import { accountWorkflowId } from '../../workflows/accountApi';

// A paper account (TEST_MODE=false, every enabled broker in paper mode) routes to _paper: its day id,
// its account workflow and its books are the paper ones, never the live ones (README "Modes and where
// outputs go").

const DATE = '2026-03-13';

function loaded(botText: string): LoadedConfig {
  const r = parseConfig({ bot: { file: '.env_bot', text: botText }, checkCredentials: false });
  if (!r.ok) assert.fail(`expected ok, got:\n${r.problems.join('\n')}`);
  return { bot: r.bot, env: r.env } as unknown as LoadedConfig;
}

async function scheduledMode(config: LoadedConfig): Promise<string> {
  const acts = createSchedulingActivities({ bot: config.bot, replayFolder: null, broker: 'alpaca', universe: ['SPY'] });
  return (await acts.planScheduledDay({ firedAt: `${DATE}T13:00:00.000Z` })).mode;
}

void test('TEST_MODE=false with only paper brokers: the paper day id, the paper account workflow, _paper outputs', async () => {
  for (const text of ['TEST_MODE=false\nALPACA_MODE=paper\n', 'TEST_MODE=false\nALPACA_ENABLED=false\nIBKR_ENABLED=true\nIBKR_MODE=paper\n', 'TEST_MODE=false\nIBKR_ENABLED=true\n']) {
    const config = loaded(text);
    assert.equal(outputModeOf(config.bot), 'paper', text);
    assert.equal(dayIdFor(config, DATE), `tradebot-day-paper-${DATE}`, text);
    assert.equal(accountWorkflowId(outputModeOf(config.bot)), 'tradebot-account-paper', text);
    assert.equal(await scheduledMode(config), 'paper', text);
  }
});

void test('TEST_MODE=false with a live broker: the live day id and account', async () => {
  const config = loaded('TEST_MODE=false\nALPACA_MODE=live\n');
  assert.equal(dayIdFor(config, DATE), `tradebot-day-live-${DATE}`);
  assert.equal(accountWorkflowId(outputModeOf(config.bot)), 'tradebot-account-live');
  assert.equal(await scheduledMode(config), 'live');
  // FORCE_PAPER_EXPORT still sends a live account's outputs to _paper.
  assert.equal(dayIdFor(loaded('TEST_MODE=false\nALPACA_MODE=live\nFORCE_PAPER_EXPORT=true\n'), DATE), `tradebot-day-paper-${DATE}`);
});

void test('a mix of paper and live brokers with TEST_MODE=false is a configuration problem; in TEST_MODE it is not', () => {
  const r = parseConfig({ bot: { file: '.env_bot', text: 'TEST_MODE=false\nALPACA_MODE=paper\nIBKR_ENABLED=true\nIBKR_MODE=live\n' }, checkCredentials: false });
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.problems, [
    '.env_bot: ALPACA_MODE=paper and IBKR_MODE=live with both brokers enabled and TEST_MODE=false (allowed: every enabled broker in the same mode; one day writes one set of books, _paper or _live: run paper and live as separate setups)',
  ]);
  assert.equal(parseConfig({ bot: { file: '.env_bot', text: 'TEST_MODE=true\nALPACA_MODE=paper\nIBKR_ENABLED=true\nIBKR_MODE=live\n' } }).ok, true);
  // A disabled broker's mode does not count.
  assert.equal(parseConfig({ bot: { file: '.env_bot', text: 'TEST_MODE=false\nALPACA_MODE=paper\nIBKR_MODE=live\n' }, checkCredentials: false }).ok, true);
});
