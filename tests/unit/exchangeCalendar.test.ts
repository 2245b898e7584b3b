import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  easterSunday,
  holidayName,
  isEarlyClose,
  isTradingDay,
  nyseEarlyCloses,
  nyseHolidays,
  regularSessionUtc,
} from '../../domain/market/exchangeCalendar';

void test('Easter computus', () => {
  assert.equal(easterSunday(2019), '2019-04-21');
  assert.equal(easterSunday(2024), '2024-03-31');
  assert.equal(easterSunday(2025), '2025-04-20');
  assert.equal(easterSunday(2026), '2026-04-05');
  assert.equal(easterSunday(2027), '2027-03-28');
});

// Published NYSE calendars.
const PUBLISHED: Record<number, string[]> = {
  2015: ['2015-01-01', '2015-01-19', '2015-02-16', '2015-04-03', '2015-05-25', '2015-07-03', '2015-09-07', '2015-11-26', '2015-12-25'],
  2018: ['2018-01-01', '2018-01-15', '2018-02-19', '2018-03-30', '2018-05-28', '2018-07-04', '2018-09-03', '2018-11-22', '2018-12-05', '2018-12-25'],
  2021: ['2021-01-01', '2021-01-18', '2021-02-15', '2021-04-02', '2021-05-31', '2021-07-05', '2021-09-06', '2021-11-25', '2021-12-24'],
  2022: ['2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26'],
  2025: ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'],
  2026: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
  2027: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'],
  2028: ['2028-01-17', '2028-02-21', '2028-04-14', '2028-05-29', '2028-06-19', '2028-07-04', '2028-09-04', '2028-11-23', '2028-12-25'],
};

void test('full holidays match the published NYSE calendars', () => {
  for (const [year, dates] of Object.entries(PUBLISHED)) {
    assert.deepEqual(
      nyseHolidays(Number(year)).map((h) => h.date),
      dates,
      `holidays of ${year}`,
    );
  }
  assert.equal(holidayName('2025-04-18'), 'Good Friday');
  assert.equal(holidayName('2022-06-20'), 'Juneteenth');
  assert.equal(holidayName('2021-06-18'), null, 'Juneteenth only from 2022');
  assert.equal(isTradingDay('2021-12-31'), true, 'a Saturday New Year is not observed on the Friday before');
});

void test('every year 2015-2030 has 9-11 weekday holidays, none on a weekend', () => {
  for (let y = 2015; y <= 2030; y++) {
    const hs = nyseHolidays(y);
    assert.ok(hs.length >= 9 && hs.length <= 11, `${y}: ${hs.length}`);
    for (const h of hs) {
      const wd = new Date(`${h.date}T00:00:00Z`).getUTCDay();
      assert.ok(wd >= 1 && wd <= 5, `${h.date} ${h.name} on a weekend`);
    }
  }
});

void test('early closes (13:00 New York)', () => {
  assert.deepEqual(nyseEarlyCloses(2025), ['2025-07-03', '2025-11-28', '2025-12-24']);
  assert.deepEqual(nyseEarlyCloses(2024), ['2024-07-03', '2024-11-29', '2024-12-24']);
  assert.deepEqual(nyseEarlyCloses(2023), ['2023-07-03', '2023-11-24']);
  assert.deepEqual(nyseEarlyCloses(2026), ['2026-11-27', '2026-12-24'], 'July 3 2026 is the observed holiday');
  assert.deepEqual(nyseEarlyCloses(2021), ['2021-11-26'], 'Christmas Eve 2021 is the observed holiday');
  assert.deepEqual(nyseEarlyCloses(2028), ['2028-07-03', '2028-11-24']);
  assert.equal(isEarlyClose('2025-07-02'), false);
});

void test('regular session in UTC, DST aware, null on closed days', () => {
  assert.deepEqual(regularSessionUtc('2025-06-10'), {
    openMs: Date.parse('2025-06-10T13:30:00Z'),
    closeMs: Date.parse('2025-06-10T20:00:00Z'),
    earlyClose: false,
  });
  assert.deepEqual(regularSessionUtc('2019-02-12'), {
    openMs: Date.parse('2019-02-12T14:30:00Z'),
    closeMs: Date.parse('2019-02-12T21:00:00Z'),
    earlyClose: false,
  });
  assert.deepEqual(regularSessionUtc('2025-07-03'), {
    openMs: Date.parse('2025-07-03T13:30:00Z'),
    closeMs: Date.parse('2025-07-03T17:00:00Z'),
    earlyClose: true,
  });
  assert.equal(regularSessionUtc('2025-12-24')?.closeMs, Date.parse('2025-12-24T18:00:00Z'), 'EST early close');
  // First trading day after the 2026 DST switch (8 March).
  assert.equal(regularSessionUtc('2026-03-09')?.openMs, Date.parse('2026-03-09T13:30:00Z'));
  assert.equal(regularSessionUtc('2026-03-06')?.openMs, Date.parse('2026-03-06T14:30:00Z'));
  assert.equal(regularSessionUtc('2025-07-04'), null);
  assert.equal(regularSessionUtc('2025-06-14'), null, 'Saturday');
});
