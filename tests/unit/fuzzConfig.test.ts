import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../activities/config/loadConfig';
import { BOT_KEY_ALIASES, BOT_CONFIG_KEYS } from '../../domain/config/botConfigSchema';
import { ENV_CONFIG_KEYS, SECRET_ENV_KEYS } from '../../domain/config/envSchema';
import { parseConfig, parseKeyValueText } from '../../domain/config/parseConfig';

/**
 * Fuzzing of the configuration parser (issue 9, bad input): `.env` and `.env_bot` texts built from
 * random lines (known keys with hostile values, unknown keys, broken quotes, binary noise, every line
 * ending). The parser must never throw, must name the file (and the line or the key) in every problem,
 * must never echo a secret value, and a failing load must leave every file on disk as it was.
 * Fixed seeds keep the runs deterministic; the run counts keep each test to about a second.
 */

const SEED = 90210;
const MARK = 'Zq9SECRETmark';

const ENV_KEYS = ENV_CONFIG_KEYS as readonly string[];
const BOT_KEYS = [...(BOT_CONFIG_KEYS as readonly string[]), ...Object.keys(BOT_KEY_ALIASES)];
const SECRET_KEYS = SECRET_ENV_KEYS as readonly string[];

/** Values that tend to break number, time, URL, list and boolean parsers. */
const NASTY = [
  '', ' ', 'true', 'FALSE', 'yes', '0', '-0', '1', '-1', '1e400', '-1e400', 'NaN', 'Infinity', '0x10', '1_000', '１２',
  '3.', '.5', '00:00', '23:59', '24:00', '9:3', '12:00:00', '25:61', 'a,b,,c', ',', '0.25,0.25,0.25,0.25', '1,2,3',
  'http://', 'https://user:pw@host:99999/x', 'ftp://x', 'http://[::1', '127.0.0.1:7233', ':7233', 'host:', '::1',
  '999.1.1.1', 'a@b', 'a@b.c,,d@e.f', '\u0000', '\u2028', '\uFEFF', '"', "'", '\\', '#', ' # c', '=', '==',
  'v1.0.0', 'v1.0', 'open', 'OPEN,MID,CLOSE', 'open,open', 'LongPut', 'exchange', 'x'.repeat(5000),
];

const valueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.double().map(String),
);

const keyArb = (keys: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...keys) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).map((k) => k.toLowerCase()) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );

/** One line of a KEY=VALUE file, well-formed or not. */
function lineArb(keys: readonly string[]): fc.Arbitrary<string> {
  const kv = fc
    .record({
      key: keyArb(keys),
      value: valueArb,
      prefix: fc.constantFrom('', 'export ', '  ', '\t'),
      sep: fc.constantFrom('=', ' = ', '=  '),
      quote: fc.constantFrom('', '"', "'", 'open"', "open'"),
      tail: fc.constantFrom('', ' # note', '#x', ' trailing', '"extra'),
    })
    .map(({ key, value, prefix, sep, quote, tail }) => {
      const v = quote === '' ? value : quote.startsWith('open') ? `${quote.slice(4)}${value}` : `${quote}${value}${quote}`;
      return `${prefix}${key}${sep}${v}${tail}`;
    });
  return fc.oneof(
    { weight: 8, arbitrary: kv },
    { weight: 1, arbitrary: fc.constantFrom('', '# comment', '   ', '#', 'export', '=value', '1KEY=x', 'KEY WITH SPACE=1') },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );
}

function fileArb(keys: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(lineArb(keys), { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r'), fc.constantFrom('', '\uFEFF'))
    .map(([lines, eol, bom]) => bom + lines.join(eol));
}

/** A problem or warning names where: a file (with a line or a key), the environment or VERSION.md. */
function assertLocated(msg: string, files: readonly string[]): void {
  assert.ok(!msg.includes('\n'), `one line per problem: ${JSON.stringify(msg)}`);
  // ENV_BOT_PATH may name any path: a problem reading it names that path.
  const file = files.find((f) => msg.startsWith(`${f}: `)) ?? /^(.+?): cannot read: /.exec(msg)?.[1];
  assert.ok(file !== undefined, `names no file: ${JSON.stringify(msg)}`);
  const rest = msg.slice(file.length + 2);
  const named =
    /^line \d+/.test(rest) ||
    /^unknown \S+ key /.test(rest) ||
    [...ENV_KEYS, ...BOT_KEYS].some((k) => rest.includes(k)) ||
    /^(no version tag|cannot read|not found|no broker enabled|every strategy)/.test(rest);
  assert.ok(named, `names no line or key: ${JSON.stringify(msg)}`);
}

void test('fuzz parseKeyValueText: never throws, problems name the file and an existing line, hidden values stay hidden', () => {
  fc.assert(
    fc.property(fileArb(ENV_KEYS), fc.boolean(), (text, hide) => {
      const withSecret = `${text}\nnot a key value line ${MARK}\nBAD KEY=${MARK}`;
      const lineCount = withSecret.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).length;
      const r = parseKeyValueText(withSecret, 'cfg/.env', { hideValues: hide });
      for (const p of r.problems) {
        const m = /^cfg\/\.env: line (\d+)/.exec(p);
        assert.ok(m, `problem without file and line: ${p}`);
        const n = Number(m[1]);
        assert.ok(n >= 1 && n <= lineCount, `line ${n} outside 1..${lineCount}`);
        if (hide) assert.ok(!p.includes(MARK), `hidden value echoed: ${p}`);
      }
      for (const e of r.entries) {
        assert.match(e.key, /^[A-Za-z_][A-Za-z0-9_]*$/);
        assert.ok(e.line >= 1 && e.line <= lineCount);
      }
    }),
    { seed: SEED, numRuns: 300, includeErrorInReport: true },
  );
});

void test('fuzz parseConfig: never throws; every problem is one line naming file and line or key; no secret value is shown', () => {
  const secretLines = fc.array(
    fc.tuple(fc.constantFrom(...SECRET_KEYS), fc.constantFrom('', 'x', ' ', '=', '#', ':', '@', '/')).map(([k, extra]) => `${k}=${extra}${MARK}${extra}`),
    { maxLength: 4 },
  );
  fc.assert(
    fc.property(
      fileArb(ENV_KEYS),
      fileArb(BOT_KEYS),
      secretLines,
      fc.dictionary(fc.constantFrom(...BOT_KEYS, 'NOT_A_KEY'), valueArb, { maxKeys: 3 }),
      fc.boolean(),
      (envText, botText, secrets, overrides, checkCredentials) => {
        const r = parseConfig({
          env: { file: '.env', text: `${envText}\n${secrets.join('\n')}` },
          bot: { file: '.env_bot', text: botText },
          botOverrides: Object.keys(overrides).length > 0 ? { label: '--set', values: overrides } : undefined,
          version: { file: 'VERSION.md', text: '# TradeBot v1.0.0\n' },
          checkCredentials,
        });
        const messages = r.ok ? r.warnings : [...r.problems, ...r.warnings];
        if (!r.ok) assert.ok(r.problems.length > 0);
        for (const m of messages) {
          assertLocated(m, ['.env', '.env_bot', '--set', 'VERSION.md']);
          assert.ok(!m.includes(MARK), `a secret value is shown: ${m}`);
        }
      },
    ),
    { seed: SEED, numRuns: 300, includeErrorInReport: true },
  );
});

void test('fuzz loadConfig on disk: ConfigError or a config, never another error; nothing on disk changes', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'tradebot-fuzz-config-'));
  try {
    writeFileSync(path.join(cwd, 'VERSION.md'), '# TradeBot v1.0.0\n');
    mkdirSync(path.join(cwd, 'output', 'trades'), { recursive: true });
    const existing = path.join(cwd, 'output', 'trades', 'trade_history_paper.json');
    const existingText = '[{"trade_id":"kept"}]\n';
    writeFileSync(existing, existingText);
    // Random bytes stand for a truncated, binary or foreign file; encrypted-looking text for a torn .enc.
    const bytesArb = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
    const encArb = fc.oneof(bytesArb, fc.string({ maxLength: 80 }).map((s) => Buffer.from(`TBOTENV1:${s}`)));
    await fc.assert(
      fc.asyncProperty(
        fc.option(fileArb(ENV_KEYS).map((t) => Buffer.from(t)), { nil: undefined }),
        fc.option(fc.oneof(fileArb(BOT_KEYS).map((t) => Buffer.from(t)), bytesArb), { nil: undefined }),
        fc.option(encArb, { nil: undefined }),
        async (env, bot, enc) => {
          const files: [string, Buffer | undefined][] = [
            ['.env', env],
            ['.env_bot', bot],
            ['.env_bot.enc', enc],
          ];
          for (const [name, content] of files) {
            rmSync(path.join(cwd, name), { force: true });
            if (content !== undefined) writeFileSync(path.join(cwd, name), content, { mode: 0o600 });
          }
          try {
            await loadConfig({ cwd, processEnv: {} });
          } catch (e) {
            assert.ok(e instanceof ConfigError, `not a ConfigError: ${e instanceof Error ? e.stack : String(e)}`);
            for (const p of e.problems) assertLocated(p, ['.env', '.env_bot', '.env_bot.enc', 'VERSION.md']);
          }
          assert.equal(readFileSync(existing, 'utf8'), existingText, 'an output file changed');
          for (const [name, content] of files) {
            if (content !== undefined) assert.ok(readFileSync(path.join(cwd, name)).equals(content), `${name} changed`);
          }
        },
      ),
      { seed: SEED, numRuns: 150, includeErrorInReport: true },
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
