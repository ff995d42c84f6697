// Go's time.RFC3339Nano, as the reference writes `wall_time_iso` (UTC) and as time.Parse accepts it.
//
// Writing: YYYY-MM-DDTHH:MM:SS, then `.` and the fraction with trailing zeros removed (nothing when the
// fraction is zero), then `Z`. JavaScript clocks give milliseconds, so at most three fraction digits appear.
//
// Built from the UTC fields, not from toISOString: V8's first toISOString reads the local time zone
// (/etc/localtime) on the calling thread, which a UTC timestamp does not need (~20 ms at the end of a decode when
// that file is not in the page cache).

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function formatRfc3339Nano(d: Date): string {
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) {
    const iso = d.toISOString(); // six-digit years, written as before (or a throw)
    return withFraction(iso.slice(0, 19), iso.slice(20, 23));
  }
  const date = `${String(year).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const base = `${date}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return withFraction(base, String(d.getUTCMilliseconds()).padStart(3, '0'));
}

/** `base`, then `.` and the three-digit `millis` without trailing zeros (nothing when it is zero), then `Z`. */
function withFraction(base: string, millis: string): string {
  const frac = millis.replace(/0+$/, '');
  return frac === '' ? `${base}Z` : `${base}.${frac}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when Go's time.Parse(time.RFC3339Nano, s) would succeed. */
export function isRfc3339Nano(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const field = (i: number): number => Number(m[i]);
  const [year, month, day, hour, min, sec] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  if (month < 1 || month > 12) return false;
  if (day < 1 || day > daysIn(year, month)) return false;
  if (hour > 23 || min > 59 || sec > 59) return false;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  return true;
}
