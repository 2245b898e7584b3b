import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSource, sourceFiles } from '../helpers/sourceFiles';
import { BrokerError, ConfigError, ERROR_CLASSES, FAILURE_TYPE, FAILURE_TYPES, LogicError, NetworkError } from '../../domain/errors/errorClasses';
import { NON_RETRYABLE_ERROR_CLASSES, RETRY_POLICIES, retryPolicyFor } from '../../domain/errors/retryPolicy';
import { PayloadKeyError } from '../../workers/temporal/payloadCodec';
import { UsageError } from '../../scripts/commands/args';
import { NotifyDeliveryError, type NotifyResult } from '../../activities/notify/notifier';
import { LockTimeoutError } from '../../activities/ledger/fileLock';
import { LedgerExportError } from '../../activities/ledger/ledgerExport';
import { LedgerCorruptError } from '../../activities/ledger/ledgerStore';
import { ManagerApiError } from '../../activities/ledger/managerApi';
import { MalformedResponseError } from '../../activities/broker/alpaca/alpacaErrors';
import { MinuteBarCsvError } from '../../activities/marketData/minuteBarCsv';
import { VixCsvError } from '../../activities/marketData/vixCsv';
import { BackupError } from '../../activities/backup/archive';

/**
 * One error model (domain/errors/errorClasses.ts): every Error subclass sets its name (the name is its type
 * in logs and, for an error that reaches Temporal unwrapped, its failure type), and every failure type the
 * bot sends to Temporal comes from FAILURE_TYPES.
 */

/** One instance of every exported Error subclass of the program. */
const INSTANCES: Record<string, Error> = {
  NetworkError: new NetworkError('m'),
  BrokerError: new BrokerError('m'),
  LogicError: new LogicError('m'),
  ConfigError: new ConfigError(['m']),
  PayloadKeyError: new PayloadKeyError('m'),
  UsageError: new UsageError('m'),
  NotifyDeliveryError: new NotifyDeliveryError('m', {} as NotifyResult),
  LockTimeoutError: new LockTimeoutError('m'),
  LedgerExportError: new LedgerExportError('m'),
  LedgerCorruptError: new LedgerCorruptError('m'),
  ManagerApiError: new ManagerApiError('m', false),
  MalformedResponseError: new MalformedResponseError('m'),
  MinuteBarCsvError: new MinuteBarCsvError('f.csv', 1, 'p'),
  VixCsvError: new VixCsvError('vix.csv', 1, 'p'),
  BackupError: new BackupError('m'),
};

interface DeclaredErrorClass {
  readonly file: string;
  readonly name: string;
  readonly exported: boolean;
  readonly abstract: boolean;
  readonly body: string;
}

/** Every class in the program's source whose superclass is Error or another class declared here (transitively). */
function declaredErrorClasses(): DeclaredErrorClass[] {
  const all: (DeclaredErrorClass & { superName: string })[] = [];
  const re = /^(export )?(abstract )?class (\w+) extends (\w+)/gm;
  for (const file of sourceFiles()) {
    const text = readSource(file);
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const next = text.slice(start + 1).search(/^(export )?(abstract )?(class|function|const) /m);
      const body = next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
      all.push({ file, name: m[3]!, superName: m[4]!, exported: !!m[1], abstract: !!m[2], body });
    }
  }
  const errors = new Set(['Error', 'TypeError', 'RangeError']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of all) {
      if (errors.has(c.superName) && !errors.has(c.name)) {
        errors.add(c.name);
        grew = true;
      }
    }
  }
  return all.filter((c) => errors.has(c.superName));
}

void test('every Error subclass of the program sets its name to its class name (source scan)', () => {
  const classes = declaredErrorClasses();
  assert.ok(classes.some((c) => c.name === 'NetworkError') && classes.some((c) => c.name === 'UsageError'), 'the scan sees the error classes');
  const unnamed = classes
    .filter((c) => !c.abstract)
    .filter((c) => !new RegExp(`(this\\.name\\s*=|\\bname\\s*=)\\s*'${c.name}'`).test(c.body))
    .map((c) => `${c.file}: ${c.name}`);
  assert.deepEqual(unnamed, [], 'set this.name (or an overriding name field) to the class name');
});

void test('each exported error class reports its name; the list here covers every one declared', () => {
  for (const [name, err] of Object.entries(INSTANCES)) {
    assert.ok(err instanceof Error, name);
    assert.equal(err.name, name);
    assert.match(String(err), new RegExp(`^${name}: `));
  }
  const declared = declaredErrorClasses()
    .filter((c) => c.exported && !c.abstract)
    .map((c) => c.name)
    .sort();
  assert.deepEqual(Object.keys(INSTANCES).sort(), declared, 'a new exported Error subclass: add it to INSTANCES');
});

void test('failure types: one list, the four error classes first, each by name', () => {
  assert.equal(new Set(FAILURE_TYPES).size, FAILURE_TYPES.length, 'no type twice');
  assert.deepEqual(FAILURE_TYPES.slice(0, ERROR_CLASSES.length), [...ERROR_CLASSES]);
  for (const t of FAILURE_TYPES) assert.equal(FAILURE_TYPE[t], t);
  assert.deepEqual(Object.keys(FAILURE_TYPE), [...FAILURE_TYPES]);
  assert.throws(() => ((FAILURE_TYPE as Record<string, string>).Other = 'Other'), TypeError);
});

void test('every nonRetryableErrorTypes entry of every policy is a listed failure type', () => {
  const listed = new Set<string>(FAILURE_TYPES);
  const policies = [...Object.values(RETRY_POLICIES), retryPolicyFor({ API_RETRY_LIMIT: 3, API_TIMEOUT: 30 }, 'broker'), retryPolicyFor({ API_RETRY_LIMIT: 3, API_TIMEOUT: 30 }, 'marketData')];
  const unknown = policies.flatMap((p) => ('nonRetryableErrorTypes' in p ? [...(p.nonRetryableErrorTypes ?? [])] : [])).filter((t) => !listed.has(t));
  assert.deepEqual(unknown, []);
  assert.deepEqual([...NON_RETRYABLE_ERROR_CLASSES], ['ConfigError', 'LogicError', 'BrokerError']);
});

void test('ApplicationFailure types in the source are named through FAILURE_TYPE (source scan)', () => {
  // The lint rule (FAILURE_TYPE_FROM_LIST in eslint.config.mjs) checks the syntax; this catches the .js files too.
  const literal = /ApplicationFailure\.(nonRetryable|retryable)\((?:[^()]|\([^()]*\))*?,\s*['"`]|ApplicationFailure\.create\(\{[^}]*\btype:\s*['"`]|nonRetryableErrorTypes:\s*\[[^\]]*['"`]/;
  const found = sourceFiles().filter((f) => literal.test(readSource(f)));
  assert.deepEqual(found, []);
  assert.ok(literal.test("ApplicationFailure.nonRetryable(`x ${f(a)}`, 'LogicError')"), 'the scan recognises a literal type');
});
