// Lint as Temporal's samples do: floating promises are errors, and deterministic code
// (domain/, workflows/) may not import Node built-ins or packages that do I/O. Layer rules below.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const ioPackages = [
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
  '@alpacahq/alpaca-trade-api',
  '@stoqey/ib',
  'nodemailer',
  'better-sqlite3',
  'tsx',
];

/*
 * Layers: lower ones never import upper ones. scripts/ (the CLI, npm start, tools) is the top: nothing
 * outside it (and tests/) imports from it, types included. Activities talk to workflows only through
 * their *Api.ts modules (names, signatures, signal and query definitions), never a workflow's code.
 */
const NO_SCRIPTS = {
  group: ['**/scripts', '**/scripts/**'],
  message: 'only scripts/ and tests/ import from scripts/ (what the worker needs lives in workers/)',
};
const WORKFLOW_APIS_ONLY = {
  // A regex, not a group: a group cannot re-include *Api files once it names the folder itself (workflows/index).
  regex: '(^|/)workflows(/(?![^/]*Api$).*)?$',
  message: 'activities import a workflow only through its *Api.ts module (start it by the type name exported there)',
};

/** Node built-ins, I/O packages and I/O layers are off limits to deterministic code; `extra` adds more. */
function deterministicImports(extra) {
  return {
    paths: [
      ...[...nodeBuiltins, ...ioPackages].map((name) => ({
        name,
        message: 'deterministic code (domain/, workflows/) may not import Node built-ins or I/O packages',
        allowTypeImports: true,
      })),
      ...extra,
    ],
    patterns: [
      {
        // scripts/ is not here: NO_SCRIPTS forbids it, type imports too (one allowing pattern would let them through).
        group: ['**/activities/**', '**/workers/**', '**/dashboard/**'],
        message: 'deterministic code may not import I/O layers',
        allowTypeImports: true,
      },
      NO_SCRIPTS,
    ],
  };
}

// Domain code imports no Temporal values either (types are fine): it is the same for a workflow and a backtest.
const temporalValues = ['@temporalio/common', '@temporalio/workflow'].map((name) => ({
  name,
  message: 'domain code imports no Temporal values (Temporal-facing code lives in activities/ or workflows/)',
  allowTypeImports: true,
}));

// One error model (domain/errors/errorClasses.ts): an error's name is its type in logs and in Temporal failures.
const ERROR_SUBCLASS_NAMED = {
  selector:
    "ClassDeclaration[superClass.name=/Error$/]:not([abstract=true]):not(:has(AssignmentExpression[left.property.name='name'])):not(:has(PropertyDefinition[key.name='name']))",
  message: 'an Error subclass sets its name (this.name = ... or a name field)',
};
// Retry policies are named once (RETRY_POLICIES in domain/errors/retryPolicy.ts) and used by name.
const NAMED_RETRY_POLICY = {
  selector: "Property[key.name='retry'] > ObjectExpression",
  message: 'use a named retry policy: RETRY_POLICIES in domain/errors/retryPolicy.ts',
};

// Failure types sent to Temporal come from the one list (FAILURE_TYPE in domain/errors/errorClasses.ts), not from strings of their own.
const FAILURE_TYPE_MESSAGE = 'name a failure type through FAILURE_TYPE (domain/errors/errorClasses.ts), not a string literal';
const FAILURE_TYPE_FROM_LIST = [
  "CallExpression[callee.object.name='ApplicationFailure'][callee.property.name=/^(retryable|nonRetryable)$/][arguments.1.type=/^(Literal|TemplateLiteral)$/]",
  "NewExpression[callee.name='ApplicationFailure'][arguments.1.type=/^(Literal|TemplateLiteral)$/]",
  "CallExpression[callee.object.name='ApplicationFailure'][callee.property.name=/^(create|fromError)$/] Property[key.name='type'][value.type=/^(Literal|TemplateLiteral)$/]",
  "Property[key.name='nonRetryableErrorTypes'] :matches(Literal, TemplateLiteral)",
].map((selector) => ({ selector, message: FAILURE_TYPE_MESSAGE }));

// no-restricted-imports sees only import and export declarations; these catch import(), require() and
// import('...') types against the same layer rules (\x2F is '/': a selector's regex cannot contain a slash).
const LOADS = ['ImportExpression > Literal.source', "CallExpression[callee.name='require'] > Literal.arguments", 'TSImportType > Literal.source'];
const SCRIPTS_PATH = '/(^|\\x2F)scripts(\\x2F|$)/';
const NON_API_WORKFLOW_PATH = '/(^|\\x2F)workflows(\\x2F(?![^\\x2F]*Api$)|$)/';
const NO_SCRIPTS_LOADED = LOADS.map((load) => ({ selector: `${load}[value=${SCRIPTS_PATH}]`, message: NO_SCRIPTS.message }));
const WORKFLOW_APIS_ONLY_LOADED = LOADS.map((load) => ({ selector: `${load}[value=${NON_API_WORKFLOW_PATH}]`, message: WORKFLOW_APIS_ONLY.message }));

// Syntax rules of the program's code (see the last blocks); a later block's no-restricted-syntax replaces an earlier one's.
const PROGRAM_SYNTAX = [ERROR_SUBCLASS_NAMED, NAMED_RETRY_POLICY, ...FAILURE_TYPE_FROM_LIST];

// The plain JavaScript files: the CommonJS start-up scripts (they run before anything is compiled) and the
// dashboard's browser script. Their globals are listed here, as the project carries no globals package.
const NODE_GLOBALS = ['require', 'module', 'exports', 'process', 'console', 'Buffer', '__dirname', '__filename', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'URL', 'performance'];
const BROWSER_GLOBALS = ['window', 'document', 'console', 'fetch', 'location', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'URLSearchParams', 'EventSource', 'HTMLElement', 'Event'];
const readonlyGlobals = (names) => Object.fromEntries(names.map((n) => [n, 'readonly']));

export default tseslint.config(
  { ignores: ['node_modules/**', 'output/**', 'backups/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: {
      'no-undef': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['scripts/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: readonlyGlobals(NODE_GLOBALS) },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['dashboard/static/**/*.js'], languageOptions: { sourceType: 'script', globals: readonlyGlobals(BROWSER_GLOBALS) } },
  { files: ['eslint.config.mjs'], languageOptions: { globals: readonlyGlobals(NODE_GLOBALS) } },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs these itself; their returned promises are not for the caller to await.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      'no-restricted-syntax': ['error', ERROR_SUBCLASS_NAMED],
    },
  },
  {
    files: ['domain/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      // Type-only imports are erased at compile time, so workflows may name activity types (as Temporal's samples do).
      '@typescript-eslint/no-restricted-imports': ['error', deterministicImports([])],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use workflow sleep()' },
        { name: 'setInterval', message: 'use workflow timers' },
        { name: 'process', message: 'no process access in deterministic code' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'no randomness in deterministic code' },
        { object: 'Date', property: 'now', message: 'use workflow time, passed in' },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', deterministicImports(temporalValues)],
    },
  },
  {
    // The program's code (tests define throwaway workflows with their own policies); tests/unit/namedRetryPolicies.test.ts scans the .js files too.
    files: ['domain/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts', 'scripts/**/*.ts', 'dashboard/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...PROGRAM_SYNTAX],
    },
  },
  {
    files: ['domain/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts', 'dashboard/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...PROGRAM_SYNTAX, ...NO_SCRIPTS_LOADED],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_SCRIPTS, WORKFLOW_APIS_ONLY] }],
      'no-restricted-syntax': ['error', ...PROGRAM_SYNTAX, ...NO_SCRIPTS_LOADED, ...WORKFLOW_APIS_ONLY_LOADED],
    },
  },
  {
    files: ['workers/**/*.ts', 'dashboard/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_SCRIPTS] }],
    },
  },
);
