import { nyWallTimeToUtcMs } from '../../../domain/market/nyTime';

const NEW_YORK_ZONES = new Set(['America/New_York', 'US/Eastern', 'EST', 'EDT', 'EST5EDT']);
const UTC_ZONES = new Set(['UTC', 'GMT', 'Etc/UTC', 'Etc/GMT']);

/**
 * An IB time (`20250303 10:00:01 America/New_York`, or `20250303-15:00:01` in UTC) as ISO 8601 UTC;
 * null for a zone the bot cannot convert without a time zone database.
 */
export function ibTimeToIso(text: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})([ -])(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(text.trim());
  if (!m) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const seconds = Number(m[7]) * 1000;
  const zone = m[8] ?? (m[4] === '-' ? 'UTC' : null);
  let ms: number;
  if (zone !== null && UTC_ZONES.has(zone)) ms = Date.parse(`${date}T${m[5]}:${m[6]}:00Z`) + seconds;
  else if (zone !== null && NEW_YORK_ZONES.has(zone)) ms = nyWallTimeToUtcMs(date, `${m[5]}:${m[6]}`) + seconds;
  else return null;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
