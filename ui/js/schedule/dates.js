// Calendar dates as the schedule API speaks them: 'YYYY-MM-DD' strings, end
// inclusive. Dates are handled as local midnight so a day never shifts with
// the time zone (the Gantt library also works in local time).

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DAY_MS = 86400000;

export function isDay(s) {
  if (typeof s !== 'string' || !ISO.test(s)) return false;
  const d = parseDay(s);
  return fmtDay(d) === s; // rejects 2025-02-30
}

export function parseDay(s) {
  const m = ISO.exec(s);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export function fmtDay(d) {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

export function today() {
  return fmtDay(new Date());
}

export function addDays(s, n) {
  const d = parseDay(s);
  d.setDate(d.getDate() + n);
  return fmtDay(d);
}

// Whole days from a to b (b - a); DST-safe because both are local midnights.
export function daysBetween(a, b) {
  return Math.round((parseDay(b) - parseDay(a)) / DAY_MS);
}

export function minDay(a, b) {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}

export function maxDay(a, b) {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

export function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

export function startOfWeek(d) {
  // Weeks start on Monday, as in China and in ISO 8601.
  const s = startOfDay(d);
  s.setDate(s.getDate() - ((s.getDay() + 6) % 7));
  return s;
}

export function startOfMonth(d) {
  return new Date(d.getFullYear(), d.getMonth(), 1);
}

export function daysInMonth(d) {
  return new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate();
}

// Whether a day ('YYYY-MM-DD') is worked: not a holiday, and not a weekend day
// unless it is a make-up workday (调休). `cal` is ScheduleData.loadCalendar's
// { holiday, workday } maps; without it, weekends alone are off.
export function isWorkday(day, cal) {
  if (cal?.holiday.has(day)) return false;
  const weekday = parseDay(day).getDay();
  return (weekday !== 0 && weekday !== 6) || Boolean(cal?.workday.has(day));
}

// Working days from `a` to `b` (both included), as the server counts them (calendar.py).
export function countWorkdays(a, b, cal) {
  let n = 0;
  for (let d = a; d <= b; d = addDays(d, 1)) n += isWorkday(d, cal) ? 1 : 0;
  return n;
}

// The day on which a task starting on `start` has had `n` working days (n >= 1):
// the end date that makes countWorkdays(start, end) === n.
export function endAfterWorkdays(start, n, cal) {
  let d = start;
  let count = isWorkday(d, cal) ? 1 : 0;
  for (let i = 0; count < n && i < 20000; i += 1) {
    d = addDays(d, 1);
    if (isWorkday(d, cal)) count += 1;
  }
  return d;
}
