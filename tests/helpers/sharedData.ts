import { join } from 'node:path';

/*
 * The development data beside the clone (../shared, as CI lays it out; TRADEBOT_SHARED_DIR points
 * elsewhere). A user's clone has none: only the tests over the whole development set read it, and they
 * skip with SHARED_MISSING. Everything else runs on the cuts under tests/fixtures/ (README.md, "Tests").
 */
export const SHARED_DIR = process.env.TRADEBOT_SHARED_DIR ?? join(__dirname, '..', '..', '..', 'shared');
export const SHARED_MINUTE_DIR = join(SHARED_DIR, 'data', 'minute');
export const SHARED_VIX_FILE = join(SHARED_DIR, 'data', 'vix_daily.csv');
export const SHARED_EXPECTED_DIR = join(SHARED_DIR, 'expected');

/** The skip reason of a test over the whole development set: `what` it compares. */
export const sharedMissing = (what: string): string => `${what}: ../shared/data not found beside the clone`;
