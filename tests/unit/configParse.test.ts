import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, SECRET_ENV_KEYS } from '../../domain/config/envSchema';
import { parseBotConfigText, parseConfig, parseKeyValueText, showValue } from '../../domain/config/parseConfig';
import { extractVersionTag } from '../../domain/config/versionTag';

function bot(text: string) {
  return parseConfig({ bot: { file: '.env_bot', text }, checkCredentials: false });
}
function env(text: string) {
  return parseConfig({ env: { file: '.env', text } });
}
function problemsOf(r: ReturnType<typeof parseConfig>): readonly string[] {
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}
function okOf(r: ReturnType<typeof parseConfig>) {
  if (!r.ok) assert.fail(`expected ok, got:\n${r.problems.join('\n')}`);
  return r;
}

void test('KEY=VALUE: comments, blank lines, export, quotes, inline comments, CRLF, BOM', () => {
  const text = [
    '\uFEFF# a comment',
    '',
    '   # indented comment',
    'A=1',
    'export B = two ',
    'C="quoted # not a comment"  # a comment',
    "D='single \\n literal'",
    'E="esc \\"q\\" \\\\ \\n"',
    'F=abc#def',
    'G=val # trailing comment',
    'H=',
    'I= spaced value \r',
  ].join('\r\n');
  const r = parseKeyValueText(text, 'f');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    Object.fromEntries(r.entries.map((e) => [e.key, e.value])),
    {
      A: '1',
      B: 'two',
      C: 'quoted # not a comment',
      D: 'single \\n literal',
      E: 'esc "q" \\ \n',
      F: 'abc#def',
      G: 'val',
      H: '',
      I: 'spaced value',
    },
  );
  assert.equal(r.entries.find((e) => e.key === 'A')?.line, 4);
});

void test('KEY=VALUE: malformed lines are problems with line numbers; hidden in secret files', () => {
  const text = 'just words\n1KEY=x\nK="unterminated\nQ="a" trailing\n';
  const shown = parseKeyValueText(text, '.env_bot');
  assert.deepEqual(shown.problems, [
    '.env_bot: line 1 is not KEY=VALUE: "just words"',
    '.env_bot: line 2: 1KEY is not a valid key name (allowed: letters, digits and _, not starting with a digit)',
    '.env_bot: line 3: K has an opening " without a closing one (values are one line)',
    '.env_bot: line 4: Q has text after its closing quote (allowed: only a # comment)',
  ]);
  const hidden = parseKeyValueText(text, '.env', { hideValues: true });
  assert.equal(hidden.problems.length, 4);
  assert.ok(hidden.problems.every((p) => !p.includes('just words') && !p.includes('1KEY')));
});

void test('empty input means every default', () => {
  const r = okOf(parseConfig({}));
  assert.deepEqual(r.bot, defaultBotConfig());
  assert.deepEqual(r.env, defaultEnvConfig());
  assert.equal(r.bot.TEST_MODE, true);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.origins.bot.MAX_TRADES, 'default');
});

void test('values are trimmed: SHORT_TYPE_MID= InverseETF  is valid', () => {
  const r = okOf(bot('SHORT_TYPE_MID= InverseETF \nMAX_TRADES =  4  \nSTRATEGY_SEQUENCE= open , mid \n'));
  assert.equal(r.bot.SHORT_TYPE_MID, 'InverseETF');
  assert.equal(r.bot.MAX_TRADES, 4);
  assert.deepEqual(r.bot.STRATEGY_SEQUENCE, ['open', 'mid']);
  assert.equal(r.origins.bot.SHORT_TYPE_MID, '.env_bot');
});

void test('the message format names file, key, value and what is allowed', () => {
  assert.deepEqual(problemsOf(bot('MAX_TRADES=abc')), ['.env_bot: MAX_TRADES=abc is invalid (allowed: an integer from 1 to 20)']);
  assert.deepEqual(problemsOf(bot('MAX_TRADES=')), ['.env_bot: MAX_TRADES is empty (allowed: an integer from 1 to 20)']);
  assert.deepEqual(problemsOf(bot('SHORT_TYPE_MID=Short Sell')), [
    '.env_bot: SHORT_TYPE_MID="Short Sell" is invalid (allowed: LongPut | InverseETF | ShortSell | disabled)',
  ]);
});

void test('numbers: hexadecimal and other non-decimal forms are refused, exponents accepted', () => {
  assert.equal(problemsOf(bot('MAX_TRADES=0x4')).length, 1);
  assert.equal(problemsOf(bot('MIN_PRICE=0b101')).length, 1);
  assert.equal(problemsOf(bot('MIN_PRICE=Infinity')).length, 1);
  assert.equal(okOf(bot('MIN_MARKET_CAP_OPEN=1.5e9')).bot.MIN_MARKET_CAP_OPEN, 1.5e9);
});

void test('all problems are reported together, across both files', () => {
  const r = parseConfig({
    env: { file: '.env', text: 'LOCAL_PORT=99999\nSESSION_TIMEOUT=soon\nALERT_EMAIL=not-an-address\n' },
    bot: {
      file: '.env_bot',
      text: 'MAX_TRADES=abc\nTEST_MODE=perhaps\nSTART_TIME_OPEN=25:00\nMIN_PRICE=200\nWEIGHTS=0.5,0.6,0,0\nSHORT_TYPE_CLOSE=Put\n',
    },
    version: { file: 'VERSION.md', text: '# TradeBot v9.9.9\n' },
  });
  const problems = problemsOf(r);
  const expected = [
    '.env: LOCAL_PORT=99999 is invalid (allowed: a port number from 1 to 65535)',
    '.env: SESSION_TIMEOUT=soon is invalid (allowed: a number of seconds from 1 to 604800)',
    '.env: ALERT_EMAIL=not-an-address is invalid (allowed: an e-mail address, or several separated by commas)',
    '.env_bot: MAX_TRADES=abc is invalid (allowed: an integer from 1 to 20)',
    '.env_bot: TEST_MODE=perhaps is invalid (allowed: true or false)',
    '.env_bot: START_TIME_OPEN=25:00 is invalid (allowed: a UTC time HH:MM (00:00 to 23:59))',
    '.env_bot: SHORT_TYPE_CLOSE=Put is invalid (allowed: LongPut | InverseETF | ShortSell | disabled)',
    '.env_bot: MIN_PRICE=200 is invalid (allowed: at most MAX_PRICE=100 (default))',
    '.env_bot: WEIGHTS=0.5,0.6,0,0 is invalid (allowed: weights that sum to 1; these sum to 1.1)',
    '.env_bot: VERSION_TAG=v1.0.0 (default) is invalid (allowed: v9.9.9, the tag in VERSION.md; the bot refuses to start when they differ)',
  ];
  assert.deepEqual([...problems].sort(), [...expected].sort());
});

void test('unknown keys are warnings naming the key, with hints', () => {
  const r = okOf(
    parseConfig({
      env: { file: '.env', text: 'TEST_MODE=true\nLOCAL_PROT=1\n' },
      bot: { file: '.env_bot', text: 'MAX_TRADE=3\nFOO_BAR=1\nmax_trades=4\nSMTP_PASS=zzz\n' },
    }),
  );
  assert.deepEqual(r.warnings, [
    '.env: line 1: unknown key TEST_MODE (ignored); TEST_MODE belongs in .env_bot',
    '.env: line 2: unknown key LOCAL_PROT (ignored); did you mean LOCAL_PORT?',
    '.env_bot: line 1: unknown key MAX_TRADE (ignored); did you mean MAX_TRADES?',
    '.env_bot: line 2: unknown key FOO_BAR (ignored)',
    '.env_bot: line 3: unknown key max_trades (ignored); did you mean MAX_TRADES?',
    '.env_bot: line 4: unknown key SMTP_PASS (ignored); SMTP_PASS belongs in .env',
  ]);
  assert.ok(!r.warnings.join('\n').includes('zzz'));
  assert.equal(r.bot.MAX_TRADES, 4, 'unknown keys are ignored, not applied');
});

void test('alias ACCOUNTING_EXPORT_MODE sets LEDGER_EXPORT_MODE; errors name the alias as written', () => {
  const r = okOf(bot('ACCOUNTING_EXPORT_MODE=off'));
  assert.equal(r.bot.LEDGER_EXPORT_MODE, 'off');
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(problemsOf(bot('ACCOUNTING_EXPORT_MODE=sometimes')), [
    '.env_bot: ACCOUNTING_EXPORT_MODE=sometimes is invalid (allowed: auto | off)',
  ]);
  assert.deepEqual(problemsOf(bot('LEDGER_EXPORT_MODE=auto\nACCOUNTING_EXPORT_MODE=off')), [
    '.env_bot: line 2: ACCOUNTING_EXPORT_MODE and LEDGER_EXPORT_MODE (line 1) are the same key, with a different value; keep one',
  ]);
  assert.ok(okOf(bot('LEDGER_EXPORT_MODE=off\nACCOUNTING_EXPORT_MODE=off')).warnings[0]?.includes('same value'));
});

void test('a key set twice with different values is a problem', () => {
  assert.deepEqual(problemsOf(bot('MAX_TRADES=4\nMAX_TRADES=3')), [
    '.env_bot: line 2: MAX_TRADES is set again (first on line 1), with a different value; keep one',
  ]);
});

void test('cross-field: MIN <= MAX for price and each market cap, blaming the key that was set', () => {
  assert.deepEqual(problemsOf(bot('MAX_PRICE=3')), ['.env_bot: MAX_PRICE=3 is invalid (allowed: at least MIN_PRICE=5 (default))']);
  assert.deepEqual(problemsOf(bot('MIN_PRICE=50\nMAX_PRICE=10')), ['.env_bot: MIN_PRICE=50 is invalid (allowed: at most MAX_PRICE=10)']);
  for (const s of ['OPEN', 'MID', 'CLOSE']) {
    assert.deepEqual(problemsOf(bot(`MIN_MARKET_CAP_${s}=2e10`)), [
      `.env_bot: MIN_MARKET_CAP_${s}=2e10 is invalid (allowed: at most MAX_MARKET_CAP_${s}=10000000000 (default))`,
    ]);
  }
  okOf(bot('MIN_PRICE=10\nMAX_PRICE=10'));
});

void test('cross-field: WEIGHTS sums to 1 within 1e-9 and has exactly MAX_TRADES entries', () => {
  okOf(bot('WEIGHTS=0.1,0.2,0.3,0.4'));
  okOf(bot('MAX_TRADES=3\nWEIGHTS=0.4,0.3,0.3'));
  okOf(bot('WEIGHTS=0.4000000001,0.2,0.2,0.2'));
  assert.equal(problemsOf(bot('WEIGHTS=0.40001,0.2,0.2,0.2')).length, 1);
  assert.deepEqual(problemsOf(bot('WEIGHTS=0.5,0.5')), [
    '.env_bot: WEIGHTS=0.5,0.5 is invalid (allowed: exactly MAX_TRADES=4 (default) weights, one per trade slot; found 2)',
  ]);
  assert.deepEqual(problemsOf(bot('MAX_TRADES=2')), [
    '.env_bot: MAX_TRADES=2 is invalid (allowed: the number of weights in WEIGHTS=0.4,0.2,0.2,0.2 (default), which is 4; set WEIGHTS to 2 weights too)',
  ]);
});

void test('brokers: none enabled, or a reserved one enabled, is a clear error naming the supported brokers', () => {
  assert.deepEqual(problemsOf(bot('ALPACA_ENABLED=false')), [
    '.env_bot: no broker enabled; supported: alpaca, ibkr (set ALPACA_ENABLED=true or IBKR_ENABLED=true)',
  ]);
  for (const b of ['TRADIER', 'WEBULL', 'ROBINHOOD']) {
    const p = problemsOf(bot(`${b}_ENABLED=true`));
    assert.deepEqual(p, [
      `.env_bot: ${b}_ENABLED=true is invalid (allowed: false; ${b.toLowerCase()} is reserved, not supported yet; supported brokers: alpaca, ibkr)`,
    ]);
  }
  okOf(bot('ALPACA_ENABLED=false\nIBKR_ENABLED=true'));
});

void test('strategy warnings: override naming a disabled strategy, or all disabled', () => {
  assert.match(okOf(bot('STRATEGY_OVERRIDE=mid\nSTRAT_MID_ENABLED=false')).warnings[0] ?? '', /no session will run/);
  assert.match(
    okOf(bot('STRAT_OPEN_ENABLED=false\nSTRAT_MID_ENABLED=false\nSTRAT_CLOSE_ENABLED=false')).warnings[0] ?? '',
    /every strategy is disabled/,
  );
});

void test('.env: empty values mean not set; defaults apply', () => {
  const r = okOf(env('LOCAL_PORT=\nALPACA_LIVE_API_KEY=\nTEMPORAL_ADDRESS=\n'));
  assert.equal(r.env.LOCAL_PORT, 8080);
  assert.equal(r.env.ALPACA_LIVE_API_KEY, undefined);
  assert.equal(r.env.TEMPORAL_ADDRESS, '127.0.0.1:7233');
});

void test('.env cross-field: paper URL may not be a live host; pairs set together; Manager token', () => {
  assert.deepEqual(problemsOf(env('ALPACA_PAPER_URL=https://api.alpaca.markets/')), [
    '.env: ALPACA_PAPER_URL=https://api.alpaca.markets/ is invalid (allowed: a paper endpoint; this host serves live trading, which TEST_MODE must never call)',
  ]);
  assert.deepEqual(problemsOf(env('ALPACA_PAPER_API_KEY=PKFAKEKEYID000')), [
    '.env: ALPACA_PAPER_SECRET_KEY is missing (required when ALPACA_PAPER_API_KEY is set)',
  ]);
  assert.deepEqual(problemsOf(env('TEMPORAL_TLS_KEY_PATH=/k.pem')), ['.env: TEMPORAL_TLS_CERT_PATH is missing (required when TEMPORAL_TLS_KEY_PATH is set)']);
  assert.equal(problemsOf(env('MANAGER_API_URL=https://m.example.com/api2')).length, 1);
  assert.deepEqual(problemsOf(env('IBKR_PAPER_ACCOUNT_NUMBER=DU111111\nIBKR_LIVE_ACCOUNT_NUMBER=du111111')), [
    '.env: IBKR_PAPER_ACCOUNT_NUMBER and IBKR_LIVE_ACCOUNT_NUMBER are the same account (allowed: two different accounts)',
  ]);
  assert.match(okOf(env('IBKR_PAPER_ACCOUNT_NUMBER=U1234567')).warnings[0] ?? '', /does not start with D/);
});

void test('credentials: TEST_MODE=false needs the configured mode credentials, unless checks are off', () => {
  const input = { bot: { file: '.env_bot', text: 'TEST_MODE=false\nALPACA_MODE=live\nIBKR_ENABLED=true\nIBKR_MODE=live\n' } };
  assert.deepEqual(problemsOf(parseConfig(input)), [
    '.env: ALPACA_LIVE_API_KEY is missing (required because ALPACA_ENABLED=true, ALPACA_MODE=live and TEST_MODE=false)',
    '.env: ALPACA_LIVE_SECRET_KEY is missing (required because ALPACA_ENABLED=true, ALPACA_MODE=live and TEST_MODE=false)',
    '.env: IBKR_LIVE_ACCOUNT_NUMBER is missing (required because IBKR_ENABLED=true, IBKR_MODE=live and TEST_MODE=false)',
  ]);
  okOf(parseConfig({ ...input, checkCredentials: false }));
  // TEST_MODE=true never needs credentials: the simulated broker stands in.
  okOf(parseConfig({ bot: { file: '.env_bot', text: 'ALPACA_MODE=live\n' } }));
});

void test('IBKR port hint when the port is the usual one of the other mode', () => {
  const r = okOf(parseConfig({ env: { file: '.env', text: 'IBKR_PORT=7496' }, bot: { file: '.env_bot', text: 'IBKR_ENABLED=true' } }));
  assert.match(r.warnings.join('\n'), /IBKR_PORT=7496 is the usual live/);
});

void test('overrides (--set) win over the file; unknown override keys are errors', () => {
  const r = okOf(
    parseConfig({ bot: { file: '.env_bot', text: 'MAX_TRADES=2\nWEIGHTS=0.6,0.4' }, botOverrides: { label: '--set', values: { MAX_TRADES: '1', WEIGHTS: '1' } } }),
  );
  assert.equal(r.bot.MAX_TRADES, 1);
  assert.equal(r.origins.bot.MAX_TRADES, '--set');
  assert.deepEqual(problemsOf(parseConfig({ botOverrides: { label: '--set', values: { MAX_TRADE: '3' } } })), [
    '--set: unknown .env_bot key MAX_TRADE; did you mean MAX_TRADES?',
  ]);
  assert.deepEqual(problemsOf(parseConfig({ botOverrides: { label: '--set', values: { MAX_TRADES: 'x' } } })), [
    '--set: MAX_TRADES=x is invalid (allowed: an integer from 1 to 20)',
  ]);
});

void test('VERSION.md: tag extraction and the VERSION_TAG check', () => {
  assert.equal(extractVersionTag('# TradeBot v1.0.0\n\nmore'), 'v1.0.0');
  assert.equal(extractVersionTag('\n\n#  TradeBot   v2.3.4-rc.1  \n'), 'v2.3.4-rc.1');
  assert.equal(extractVersionTag('TradeBot v1.0.0'), null);
  assert.equal(extractVersionTag('# TradeBot 1.0.0'), null);
  assert.equal(extractVersionTag(''), null);
  okOf(parseConfig({ version: { file: 'VERSION.md', text: '# TradeBot v1.0.0' } }));
  assert.deepEqual(problemsOf(parseConfig({ bot: { file: '.env_bot', text: 'VERSION_TAG=v1.0.1' }, version: { file: 'VERSION.md', text: '# TradeBot v1.0.0' } })), [
    '.env_bot: VERSION_TAG=v1.0.1 is invalid (allowed: v1.0.0, the tag in VERSION.md; the bot refuses to start when they differ)',
  ]);
  assert.deepEqual(problemsOf(parseConfig({ version: { file: 'VERSION.md', text: 'Version 1' } })), [
    'VERSION.md: no version tag on its first line (allowed: a first line like "# TradeBot v1.0.0")',
  ]);
});

void test('parseBotConfigText: .env_bot alone', () => {
  const r = parseBotConfigText('MAX_TRADES=1\nWEIGHTS=1\nTEST_MODE=false\nALPACA_MODE=live');
  assert.equal(r.ok, true);
});

void test('showValue strips URL credentials and quotes odd values', () => {
  assert.equal(showValue('https://user:pw@host/x'), 'https://<hidden>@host/x');
  assert.equal(showValue('a\nb'), '"a\\nb"');
  assert.equal(showValue('x'.repeat(100)).length, 60);
});

// ---------------------------------------------------------------------------------------------
// Fuzz: arbitrary text never throws, and every message is one line that names its source.

const fragments = [
  'MAX_TRADES', 'WEIGHTS', 'TEST_MODE', 'ACCOUNTING_EXPORT_MODE', 'LEDGER_EXPORT_MODE', 'ALPACA_LIVE_SECRET_KEY',
  'SMTP_PASS', 'LOCAL_PORT', 'MIN_PRICE', 'MAX_PRICE', 'export ', '=', '==', '"', "'", '#', ' # ', '\\', '\n',
  '\r\n', '\r', ' ', '\t', '\u0000', '\uFEFF', '\uD800', 'true', 'false', '1', '0', '-1', '1e400', '0x1f', ',',
  '0.4,0.2,0.2,0.2', 'abc', 'é', '\u2028', 'https://u:p@h', ':', '::1', '14:30',
];
const messyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((xs) => xs.join('')),
);

void test('fuzz: parseConfig never throws; results are well-formed one-line messages', () => {
  fc.assert(
    fc.property(messyText, messyText, (envText, botText) => {
      const r = parseConfig({ env: { file: '.env', text: envText }, bot: { file: '.env_bot', text: botText } });
      const messages = r.ok ? r.warnings : [...r.problems, ...r.warnings];
      if (!r.ok) assert.ok(r.problems.length > 0);
      for (const m of messages) {
        assert.equal(typeof m, 'string');
        assert.ok(!/[\r\n]/.test(m), `multi-line message: ${JSON.stringify(m)}`);
        assert.ok(/^(\.env|\.env_bot): /.test(m), `message without a source: ${JSON.stringify(m)}`);
      }
    }),
    { numRuns: 1000 },
  );
});

void test('fuzz: a secret value in .env never appears in any message, however the line is mangled', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9+/_-]{12,40}$/).map((s) => `Zq9${s}`);
  const lineFor = (key: string, s: string) =>
    fc.constantFrom(
      `${key}=${s}`,
      `${key} ${s}`,
      `${s}`,
      `${key}="${s}`,
      `${key}="${s}" junk`,
      `export ${key}='${s}'`,
      `${key}=${s} # comment`,
      `9${s}=1`,
      `${s}=1`,
      `${key}=${s}\u0000`,
    );
  fc.assert(
    fc.property(
      secret,
      fc.array(fc.tuple(fc.constantFrom(...SECRET_ENV_KEYS), fc.nat()), { minLength: 1, maxLength: 6 }),
      messyText,
      (s, keys, noise) => {
        const lines = keys.map(([k, i]) => fc.sample(lineFor(k, s), { numRuns: 1, seed: i })[0] ?? '');
        const text = [...lines, noise].join('\n');
        const r = parseConfig({ env: { file: '.env', text } });
        const all = r.ok ? r.warnings : [...r.problems, ...r.warnings];
        for (const m of all) assert.ok(!m.includes(s), `secret leaked: ${m}`);
      },
    ),
    { numRuns: 300 },
  );
});

void test('.env: an empty placeholder followed by a value is not a conflict (copying .env.example, then appending)', () => {
  const r = okOf(env('SMTP_HOST=\nSMTP_PORT=587\nSMTP_HOST=smtp.example.com\nLOCAL_PORT=9000\nLOCAL_PORT=\n'));
  assert.equal(r.env.SMTP_HOST, 'smtp.example.com');
  assert.equal(r.env.LOCAL_PORT, 9000);
  assert.deepEqual(r.warnings, []);
});
