// The layering of src/, checked by `make lint-deps` (part of `make test`); docs/architecture.md
// shows the same graph. A rule here states a decision: change the code, not the rule.
const CONTRACTS = '^src/workflows/(.+-contract|contracts)\\.ts$|^src/commands/(messages|model)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle ties its modules into one: nothing in it can be read, tested or changed alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-import-contracts-only',
      comment:
        'Workflow code runs in the deterministic sandbox: it imports its contract, @temporalio/workflow, the SDK\'s workflow tracing interceptors and pure modules, and only types of its activities.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [
          '^src/workflows/',
          CONTRACTS,
          '^src/dsl/',
          '^src/temporal/search-attributes\\.ts$',
          '^src/telemetry/log-context-headers\\.ts$',
          '^node_modules/@temporalio/(workflow|common)/',
          '^node_modules/@temporalio/interceptors-opentelemetry/lib/workflow-interceptors\\.js$',
        ],
      },
    },
    {
      name: 'callers-import-contracts-not-workflows',
      comment: 'Outside the worker, a workflow is known by its contract only: its id, input, outcome, messages and limits.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(workflows|worker)/' },
      to: { path: '^src/workflows/', pathNot: CONTRACTS },
    },
    {
      name: 'activities-belong-to-the-worker',
      comment: 'Activities are registered by the worker; everything else calls the domain functions they wrap.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(activities|worker|workflows)/' },
      to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-does-not-import-api',
      comment: 'The HTTP API is an edge: domain code takes plain input and throws typed errors (src/errors.ts).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(api|cli|cluster|embedded|worker)/|^src/(index|app-context)\\.ts$' },
      to: { path: '^src/api/' },
    },
    {
      name: 'command-bus-stands-alone',
      comment: 'The command bus knows no feature built on it: action flows and targets plug in through its send hooks (context.ts SendHook).',
      severity: 'error',
      from: { path: '^src/commands/' },
      to: { path: '^src/(flows|runs|targets|dag|actions)/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle of types still ties modules together.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/.*\\.d\\.ts$' },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
