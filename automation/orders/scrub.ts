/**
 * The one scrubber for every text that leaves the order flow (events, reasons, job records and
 * their journal, SSE, CLI output). It runs on the raw text, before anything cuts or folds it: a
 * multi-line key is scrubbed whole and line by line, and a secret cut short at the end (or start)
 * of a text, or at an ellipsis, loses the prefix (or suffix) that is left.
 */
import { readFileSync } from "node:fs";

export const SECRET_MARK = "[secret]";

/** Shorter values are not treated as secrets: they would scrub ordinary words. */
const MIN_SECRET = 4;
/** Lines of a multi-line secret shorter than this are not scrubbed on their own (a blank or `==` line). */
const MIN_LINE = 8;
/** The shortest cut-off part of a secret that is scrubbed at a cut. */
const MIN_PART = 6;

const CUT_MARKS = ["…", "..."];

export class Scrubber {
  /** Every form a secret can take in a text, longest first so a whole value goes before its lines. */
  private readonly pieces: readonly string[];

  constructor(secrets: Iterable<string>) {
    const pieces = new Set<string>();
    for (const secret of secrets) {
      // A key file's value ends in a newline that the text quoting it may or may not keep.
      for (const value of new Set([secret, secret.trim()])) {
        if (value.trim().length < MIN_SECRET) continue;
        for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) pieces.add(form);
        for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_LINE) pieces.add(line.trim());
      }
    }
    this.pieces = [...pieces].sort((a, b) => b.length - a.length);
  }

  /** No secret known: nothing to scrub (tests, read-only commands). */
  static readonly none = new Scrubber([]);

  scrub(text: string): string {
    if (this.pieces.length === 0 || text === "") return text;
    let out = text;
    for (const piece of this.pieces) if (out.includes(piece)) out = out.split(piece).join(SECRET_MARK);
    return this.scrubCuts(out);
  }

  /** Parts of a secret left at a cut: before the end of the text or an ellipsis, after its start or an ellipsis. */
  private scrubCuts(text: string): string {
    let out = text;
    const ends = [out.length, ...marksIn(out).map((m) => m.at)];
    for (const end of ends.sort((a, b) => b - a)) out = this.cutBefore(out, end);
    const starts = [0, ...marksIn(out).map((m) => m.at + m.length)];
    for (const start of starts.sort((a, b) => b - a)) out = this.cutAfter(out, start);
    return out;
  }

  /** Replaces the longest prefix of a secret that ends at `end`. */
  private cutBefore(text: string, end: number): string {
    let best = 0;
    for (const piece of this.pieces) {
      for (let k = Math.min(piece.length - 1, end); k >= MIN_PART && k > best; k -= 1) {
        if (text.startsWith(piece.slice(0, k), end - k)) {
          best = k;
          break;
        }
      }
    }
    return best > 0 ? `${text.slice(0, end - best)}${SECRET_MARK}${text.slice(end)}` : text;
  }

  /** Replaces the longest suffix of a secret that starts at `start`. */
  private cutAfter(text: string, start: number): string {
    let best = 0;
    for (const piece of this.pieces) {
      for (let k = Math.min(piece.length - 1, text.length - start); k >= MIN_PART && k > best; k -= 1) {
        if (text.startsWith(piece.slice(piece.length - k), start)) {
          best = k;
          break;
        }
      }
    }
    return best > 0 ? `${text.slice(0, start)}${SECRET_MARK}${text.slice(start + best)}` : text;
  }
}

function marksIn(text: string): Array<{ at: number; length: number }> {
  const found: Array<{ at: number; length: number }> = [];
  for (const mark of CUT_MARKS) {
    for (let at = text.indexOf(mark); at >= 0; at = text.indexOf(mark, at + mark.length)) found.push({ at, length: mark.length });
  }
  return found;
}

/** Names of environment variables that hold credentials (the CLI scrubs their values from what it prints); `*_URL` and `*_FILE` say where one is. */
const SECRET_ENV = /(TOKEN|SECRET|PASSPHRASE|PASSWORD|PRIVATE_KEY|ACCESS_KEY)/;
const SECRET_FILE_ENV = /^LETSBE_SECRET_[A-Z0-9_]+_FILE$/;

/**
 * Secret values of an environment: every variable whose name says it holds one, and the content of
 * each readable `LETSBE_SECRET_<NAME>_FILE` (an unreadable one is reported by the operation's checks).
 */
export function secretValuesOf(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "") continue;
    if (SECRET_FILE_ENV.test(name)) {
      try {
        values.push(readFileSync(value, "utf8"));
      } catch {
        // Not readable: nothing of it can be printed either.
      }
    } else if (SECRET_ENV.test(name) && !/_(FILE|URL)$/.test(name)) {
      values.push(value);
    }
  }
  return values;
}
