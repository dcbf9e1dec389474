// Numbers in the viewer's locale; dates and months in the community's time zone.

const integers = new Intl.NumberFormat(undefined);
const percents = new Intl.NumberFormat(undefined, {
  style: "percent",
  maximumFractionDigits: 1,
});

export function count(value: number): string {
  return integers.format(value);
}

/** A rate between 0 and 1; null (no customers) as a dash. */
export function rate(value: number | null): string {
  return value === null ? "—" : percents.format(value);
}

/** "2025-01" as "Jan 2025". */
export function month(value: string): string {
  const [year, number] = value.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(Date.UTC(year, number - 1, 1));
}

/** A calendar date "2025-01-31" as "Jan 31, 2025" (it has no zone of its own). */
export function calendarDate(value: string): string {
  const [year, number, day] = value.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(
    Date.UTC(year, number - 1, day),
  );
}

/** An instant as the date it was in ``zone``. */
export function dateIn(instant: string, zone: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: zone }).format(
    new Date(instant),
  );
}

/** An instant as date and time in ``zone``. */
export function dateTimeIn(instant: string, zone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone,
  }).format(new Date(instant));
}

/** Today's calendar date in ``zone`` as [year, month (1-12), day]. */
export function todayIn(zone: string, now: Date = new Date()): [number, number, number] {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [part("year"), part("month"), part("day")];
}

function isoDate(utcMillis: number): string {
  return new Date(utcMillis).toISOString().slice(0, 10);
}

/** The last 12 whole months before the current month of ``zone``, as ISO dates. */
export function lastTwelveMonths(zone: string): { from: string; to: string } {
  const [year, current] = todayIn(zone);
  return {
    from: isoDate(Date.UTC(year, current - 1 - 12, 1)),
    to: isoDate(Date.UTC(year, current - 1, 0)),
  };
}

