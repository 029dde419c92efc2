/**
 * RFC 4180 CSV: fields with a comma, quote, CR or LF (or leading / trailing space) are quoted, quotes
 * doubled; records end with CRLF. The parser is a single-pass state machine (linear time): quoted fields
 * may hold commas, doubled quotes and line breaks; a UTF-8 BOM is skipped; LF-only files are accepted.
 *
 * Cells hold model output and are opened in spreadsheets: a text cell starting with `=`, `+`, `-`, `@`,
 * tab or CR would run as a formula (CSV injection), so it is written with a leading `'` (OWASP's
 * advice), and `parseCsvObjects` takes that `'` off again so sheets round-trip.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && FORMULA_START.test(s)) s = "'" + s;
  let needs = s.length > 0 && (s[0] === " " || s[s.length - 1] === " ");
  if (!needs) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 44 || c === 34 || c === 10 || c === 13) {
        needs = true;
        break;
      }
    }
  }
  return needs ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRecord(values: unknown[]): string {
  return values.map(csvField).join(",") + "\r\n";
}

export function writeCsv(header: string[], rows: Record<string, unknown>[]): string {
  let out = csvRecord(header);
  for (const r of rows) out += csvRecord(header.map((h) => r[h]));
  return out;
}

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Parse CSV text into records (arrays of strings). Blank lines between records are skipped. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let record: string[] = [];
  let field = "";
  let fieldStart = i;
  let inQuotes = false;
  let quotedField = false;
  let quoteLine = 1;
  let afterQuote = false;
  const endField = () => {
    record.push(quotedField ? field : text.slice(fieldStart, i));
    field = "";
    quotedField = false;
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === 34) {
        if (text.charCodeAt(i + 1) === 34) {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        afterQuote = true;
        i++;
        continue;
      }
      // copy a run of ordinary characters at once
      let j = i;
      while (j < n && text.charCodeAt(j) !== 34) {
        if (text.charCodeAt(j) === 10) line++;
        j++;
      }
      field += text.slice(i, j);
      i = j;
      continue;
    }
    if (c === 44) {
      endField();
      i++;
      fieldStart = i;
      continue;
    }
    if (c === 13 || c === 10) {
      endRecord();
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      fieldStart = i;
      continue;
    }
    if (afterQuote) throw new CsvError(`unexpected character ${JSON.stringify(text[i])} after a closing quote (expected "," or end of line)`, line);
    if (c === 34) {
      if (i !== fieldStart) throw new CsvError(`a quote inside an unquoted field (quote the whole field and double the quote: "")`, line);
      inQuotes = true;
      quotedField = true;
      quoteLine = line;
      i++;
      continue;
    }
    i++;
  }
  if (inQuotes) throw new CsvError(`quoted field opened on line ${quoteLine} is never closed`, line);
  if (i > fieldStart || quotedField || record.length) endRecord();
  return records;
}

/** Records → objects keyed by the header row. Rows with a different field count are errors. */
export function parseCsvObjects(text: string, file = "CSV"): { header: string[]; rows: Record<string, string>[] } {
  const records = parseCsv(text);
  if (!records.length) throw new Error(`${file}: empty (expected a header row)`);
  const header = records[0]!;
  const rows: Record<string, string>[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.length !== header.length) throw new Error(`${file}: record ${r + 1} has ${rec.length} fields, the header has ${header.length}`);
    const o: Record<string, string> = {};
    header.forEach((h, j) => {
      const v = rec[j]!;
      o[h] = v.startsWith("'") && FORMULA_START.test(v.slice(1)) ? v.slice(1) : v;
    });
    rows.push(o);
  }
  return { header, rows };
}
