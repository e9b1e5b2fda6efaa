/**
 * Dates as the chart shows them. Birth dates are calendar dates (no time zone), so age is
 * counted on the calendar, from a `today` the caller may fix (tests, printing).
 */
export function ageOn(birthDate: string, today: Date = new Date()): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = today.getFullYear() - y;
  const beforeBirthday =
    today.getMonth() + 1 < mo || (today.getMonth() + 1 === mo && today.getDate() < d);
  if (beforeBirthday) age--;
  return age >= 0 ? age : null;
}

/** "42 y", or months for infants ("7 mo"). */
export function ageLabel(birthDate: string | null | undefined, today: Date = new Date()): string {
  if (!birthDate) return '';
  const years = ageOn(birthDate, today);
  if (years === null) return '';
  if (years >= 2) return `${years} y`;
  const [y, mo, d] = birthDate.split('-').map(Number) as [number, number, number];
  let months = (today.getFullYear() - y) * 12 + (today.getMonth() + 1 - mo);
  if (today.getDate() < d) months--;
  return `${Math.max(0, months)} mo`;
}

/** A timestamp (RFC 3339 or epoch ms) in the user's locale, date and time. */
export function dateTimeLabel(at: string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return '';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The date part of an RFC 3339 time or a calendar date. */
export function dateLabel(at: string | null | undefined): string {
  if (!at) return '';
  return at.slice(0, 10);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A moment as the status bar says it: "14:05" (local time) when it is today, "2026-11-30
 * 14:05" on another day, so "offline since" a weekend still reads right on Monday.
 */
export function clockLabel(at: string | null | undefined, now: Date = new Date()): string {
  if (!at) return '';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return sameDay
    ? time
    : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

/** Today as the engine writes dates (YYYY-MM-DD), by this computer's own calendar. */
export function today(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad2(now.getMonth() + 1)}-${pad2(now.getDate())}`;
}
