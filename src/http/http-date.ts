// HTTP-date (RFC 9110 section 5.6.7): the preferred IMF-fixdate and the two
// obsolete forms that recipients must still accept. Anything else is not a
// date, so that conditional requests ignore it as section 13.1.3 requires.
// Date.parse would not do: it reads "3000" or "2030" as a year.

const WEEKDAYS = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const LONG_WEEKDAYS = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** "Sun, 06 Nov 1994 08:49:37 GMT" */
const IMF_FIXDATE = new RegExp(`^(?:${WEEKDAYS}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
/** "Sunday, 06-Nov-94 08:49:37 GMT" */
const RFC850_DATE = new RegExp(`^(?:${LONG_WEEKDAYS}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
/** "Sun Nov  6 08:49:37 1994" */
const ASCTIME_DATE = new RegExp(`^(?:${WEEKDAYS}) (${MONTH}) ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** A two-digit year more than this many years ahead belongs to the previous century (section 5.6.7). */
const TWO_DIGIT_YEAR_FUTURE_MAX = 50;

interface DateFields {
  year: number;
  /** 0 for January. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Parses an HTTP-date; returns undefined for anything else, surrounding blanks excepted. */
export function parseHttpDate(value: string | undefined, now: Date = new Date()): Date | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();

  let fields: DateFields | undefined;
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    fields = { day: Number(match[1]), month: MONTHS.indexOf(match[2]), year: Number(match[3]), ...timeOf(match, 4) };
  } else if ((match = RFC850_DATE.exec(text)) !== null) {
    const year = fullYear(Number(match[3]), now);
    fields = { day: Number(match[1]), month: MONTHS.indexOf(match[2]), year, ...timeOf(match, 4) };
  } else if ((match = ASCTIME_DATE.exec(text)) !== null) {
    fields = { month: MONTHS.indexOf(match[1]), day: Number(match[2].trim()), ...timeOf(match, 3), year: Number(match[6]) };
  }
  return fields === undefined ? undefined : toDate(fields);
}

function timeOf(match: RegExpExecArray, first: number): Pick<DateFields, 'hour' | 'minute' | 'second'> {
  return { hour: Number(match[first]), minute: Number(match[first + 1]), second: Number(match[first + 2]) };
}

function fullYear(twoDigits: number, now: Date): number {
  const currentYear = now.getUTCFullYear();
  let year = currentYear - (currentYear % 100) + twoDigits;
  if (year > currentYear + TWO_DIGIT_YEAR_FUTURE_MAX) year -= 100;
  return year;
}

// Section 5.6.7 allows a leap second (60), which Date counts as the next
// second. A day the month does not have (31 Nov) makes the date invalid.
function toDate(fields: DateFields): Date | undefined {
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 60) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not map the years 0 to 99 to 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(fields.year, fields.month, fields.day);
  if (date.getUTCMonth() !== fields.month || date.getUTCDate() !== fields.day) return undefined;
  date.setUTCHours(fields.hour, fields.minute, fields.second);
  return date;
}
