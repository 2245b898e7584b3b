import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/**
 * The bot's custom search attributes (docs/temporal.md, "Finding workflows"): the Web UI and
 * `temporal workflow list --query` filter days and sessions by them. Registered by the dev server the
 * project starts (scripts/temporal/devServer.ts, scripts/runTests.js); on a cluster by README's command.
 */
export const TRADING_DATE = defineSearchAttributeKey('TradingDate', SearchAttributeType.KEYWORD);
/** paper or live. Not `Mode`: the SQL visibility parser takes that for a keyword and refuses the query. */
export const MODE = defineSearchAttributeKey('TradingMode', SearchAttributeType.KEYWORD);
/** Every broker a day trades at; a session's one broker. */
export const BROKER = defineSearchAttributeKey('Broker', SearchAttributeType.KEYWORD_LIST);
/** A day's planned sessions; a session's strategy. */
export const STRATEGY = defineSearchAttributeKey('Strategy', SearchAttributeType.KEYWORD_LIST);
export const DAY_STATE = defineSearchAttributeKey('DayState', SearchAttributeType.KEYWORD);
/** The day was halted (kill, startup checks, every broker) or one of its brokers was halted for the day. */
export const HALTED = defineSearchAttributeKey('Halted', SearchAttributeType.BOOL);

export const BOT_SEARCH_ATTRIBUTES = [TRADING_DATE, MODE, BROKER, STRATEGY, DAY_STATE, HALTED] as const;

/** The type names the Temporal CLI takes (`--search-attribute Name=Type`, `--type Type`). */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` for each attribute, as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeSpecs(): string[] {
  return BOT_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${CLI_TYPE_NAMES[k.type]}`);
}
