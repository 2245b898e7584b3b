import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runEmulatorCommand } from '../../scripts/commands/emulator';
import { UsageError } from '../../scripts/commands/args';

// The `emulator` CLI command: specific usage errors, and a run that prints the URLs and .env keys then stops.

test('bad arguments are specific usage errors', async () => {
  const cases: [string[], RegExp][] = [
    [['--date', '2025-04-09'], /--replay DIR is required/],
    [['--replay', 'no/such/dir', '--date', '2025-04-09'], /no such folder/],
    [['--replay', 'tests/fixtures/minute'], /--date YYYY-MM-DD is required/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-12'], /not an NYSE trading day/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-10'], /no bars on 2025-04-10/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--speed', '0'], /--speed=0 is invalid/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--fault-rate', '2'], /--fault-rate=2 is invalid/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--gateway-restart', '11:00+5'], /need --tws-port/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--tws-port', '0', '--gateway-restart', '25:00+5'], /--gateway-restart=25:00\+5 is invalid/],
    [['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--tws-port', '0', '--tws-account', 'U123'], /not an IB paper account/],
  ];
  for (const [argv, re] of cases) await assert.rejects(runEmulatorCommand(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
});

test('a run prints the base URLs, the clock and the .env keys, and serves until stopped', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  let answered = 0;
  const code = await runEmulatorCommand(['--replay', 'tests/fixtures/minute', '--date', '2025-04-09', '--speed', '60', '--seed', '3'], {
    out,
    stopped: async (emu) => {
      answered = (await fetch(`${emu.baseUrl}/emulator/clock`)).status;
    },
  });
  assert.equal(code, 0);
  assert.equal(answered, 200);
  assert.match(text, /ALPACA_PAPER_URL=http:\/\/127\.0\.0\.1:\d+\/trading/);
  assert.match(text, /ALPACA_DATA_URL=http:\/\/127\.0\.0\.1:\d+\/data/);
  assert.match(text, /FINNHUB_URL=http:\/\/127\.0\.0\.1:\d+\/finnhub\/api\/v1/);
  assert.match(text, /VIX_SOURCE=http:\/\/127\.0\.0\.1:\d+\/vix\/daily\.csv/);
  assert.match(text, /clock: market 2025-04-09T09:2[89]/);
  assert.match(text, /emulator stopped/);
});
