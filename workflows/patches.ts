/**
 * Every workflow patch id, in one list. A change to the commands a workflow issues (timers, activities,
 * child workflows, signals it sends, search attributes) ships behind `patched(id)` so that days, sessions
 * and the account started by an earlier release replay on the new code (docs/temporal.md, "Deploying while
 * days run"). VERSION.md names these ids in the release that adds them.
 *
 * Lifecycle of an id: `patched(id)` while histories without the marker may still be open; then
 * `deprecatePatch(id)` once none is (check with `npm run cli -- replay-check`); then the old branch and the
 * call go. Ids are recorded in histories: never rename or reuse one.
 */
export const PATCHES = {
  /** The day's wait for its next session ends at once on stop or kill (was a plain durable sleep). */
  daySessionWaitEndsOnStop: 'tradebot-day-session-wait-ends-on-stop',
  /** The day lets signal and update handlers finish before it returns its summary. */
  dayHandlersFinishFirst: 'tradebot-day-handlers-finish-first',
  /** The day asks whether the namespace has the bot's search attributes, then sets them on itself and its sessions. */
  daySearchAttributes: 'tradebot-day-search-attributes',
  /** Web UI summaries: on the sessions the day starts, on the day the Schedule's launcher starts, on the day's wait. */
  daySummaries: 'tradebot-day-summaries',
  /** The day settles each session once (a failed one was handled twice: two warnings, two shutdown alerts). */
  daySettlesSessionOnce: 'tradebot-day-settles-session-once',
  /**
   * For workflows/session.ts: a worker release other than the day's VERSION_TAG notes it and trades on,
   * instead of blocking the session (docs/temporal.md, "The build check in the session").
   */
  sessionBuildCheckNotesNewerRelease: 'tradebot-session-build-check-notes-newer-release',
  /** For workflows/session.ts: a session the day gave search attributes keeps DayState and Halted current. */
  sessionSearchState: 'tradebot-session-search-state',
  /**
   * The session's orders go out without waiting on what need not come first: a bar's exits run together,
   * an entry's two quotes together, and the protective stop and fill alert no longer hold the next entry
   * (docs/trading.md, "Order latency").
   */
  sessionConcurrentOrders: 'tradebot-session-concurrent-orders',
  /**
   * A position exited at reconciliation releases its owner's risk grant with the trade's PnL, so the daily
   * loss limit counts it and the slot is freed (docs/brokers.md, "Ownership and adoption").
   */
  sessionAdoptionReleasesGrant: 'tradebot-session-adoption-releases-grant',
  /**
   * A bar's entries prepare together (instrument facts, quotes, spread), ask for grants one at a time in
   * strength order, and each order goes out as soon as its grant returns (docs/trading.md, "Order latency").
   */
  sessionPipelinedEntries: 'tradebot-session-pipelined-entries',
} as const;

export type PatchId = (typeof PATCHES)[keyof typeof PATCHES];
