/**
 * The strict JSON reader's refusals on hostile metadata text: each names what is wrong, the JSON
 * path and the line:column, so a user can find it in the file (src/encoding/strict-json.ts).
 */
import { describe, expect, it } from 'vitest';
import { FormatError, JSONFloat, parseJSON } from '../../src/index.js';

/** The FormatError message parseJSON throws for `text`. */
function refusal(text: string): string {
  try {
    parseJSON(text, { source: 'x.link' });
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return (err as Error).message;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseJSON refusals name the path and the line:column', () => {
  it('a missing comma in an object, on a later line', () => {
    expect(refusal('{\n  "signed": {\n    "a": 1\n    "b": 2\n  }\n}')).toBe(
      'expected "," or "}" in object (x.link, signed, line 4 column 5)'
    );
  });

  it('a key that is not an identifier is quoted in the path', () => {
    expect(refusal('{"products": {"dir/a b.txt": {"sha256": tru}}}')).toBe(
      'invalid literal (NaN, Infinity and bare words are not JSON) (x.link, products["dir/a b.txt"].sha256, line 1 column 41)'
    );
  });

  it('lone surrogates, raw or escaped, cannot be encoded as UTF-8 for signing', () => {
    expect(refusal('["a\ud800b"]')).toBe('lone surrogate in string (x.link, [0], line 1 column 4)');
    expect(refusal('["\\udc00"]')).toMatch(/^lone surrogate escape in string \(cannot be encoded/);
    expect(refusal('["\\ud800\\u0041"]')).toMatch(/^lone surrogate escape in string/);
    // A valid pair, raw or escaped, is one character.
    expect(parseJSON('["\ud83d\ude00", "\\ud83d\\ude00"]')).toEqual(['😀', '😀']);
  });

  it('a \\u escape needs four hex digits', () => {
    expect(refusal('["\\u12G4"]')).toMatch(
      /^invalid \\u escape \(x\.link, \[0\], line 1 column 5\)$/
    );
    expect(refusal('["\\u12"]')).toMatch(/^invalid \\u escape/);
  });

  it('every short escape decodes to its character', () => {
    expect(parseJSON('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"')).toBe('" \\ / \b \f \n \r \t');
  });

  it('numbers: an exponent makes a float, digits are required around . and e', () => {
    const f = parseJSON('[1e5, -2.5E-3, 10E+2]') as JSONFloat[];
    expect(f.every((v) => v instanceof JSONFloat)).toBe(true);
    expect(f.map((v) => v.source)).toEqual(['1e5', '-2.5E-3', '10E+2']);
    expect(refusal('[1.]')).toMatch(/^invalid number: digits expected after "\."/);
    expect(refusal('[1e]')).toMatch(/^invalid number: digits expected in exponent/);
    expect(refusal('[-]')).toMatch(/^invalid number \(/);
  });
});
