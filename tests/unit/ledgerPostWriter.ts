// Child process for ledger tests: posts trades into a book, either once (concurrency test) or in an
// endless loop (crash test, killed with SIGKILL by the parent). Not a test file itself.
import { buildTradePostings } from '../../domain/ledger/postings';
import { postEntries } from '../../activities/ledger/ledgerStore';
import { appendTradeRecord } from '../../activities/outputs/tradeHistory';
import { appendStrategyLog } from '../../activities/outputs/strategyLog';
import { writeDailySummary } from '../../activities/outputs/dailySummary';
import { makeTrade } from './ledgerFixtures';

const [, , what, outputDir, backupsDir, startText] = process.argv;
const start = Number(startText ?? '1');

if (what === 'once') {
  const r = postEntries({ outputDir, backupsDir, book: 'paper', entries: buildTradePostings(makeTrade({ n: start })) });
  process.stdout.write(`${JSON.stringify(r.posted)}\n`);
} else if (what === 'loop') {
  process.stdout.write('ready\n');
  for (let n = start; ; n++) {
    const trade = makeTrade({ n, size: 1 + (n % 7), entry_price: 10 + (n % 13) / 7 });
    postEntries({ outputDir, backupsDir, book: 'paper', entries: buildTradePostings(trade) });
    appendTradeRecord(outputDir, 'paper', trade);
    appendStrategyLog(outputDir, 'paper', 'json', [
      { eventId: `w#${n}`, timestamp: trade.timestamp, strategy: 'open', event: 'exit', symbol: 'AAPL', message: `trade ${n} ${'x'.repeat(n % 50)}` },
    ]);
    writeDailySummary(outputDir, 'paper', '2025-03-10', [trade], {
      strategiesRun: ['open'],
      closedReason: null,
      haltReason: null,
      executionSeconds: [n % 5],
      rebalancing: [],
      warnings: [],
    });
  }
}
