/**
 * Parameter substitution (REFERENCE.md §7): `{NAME}` in rules, expected commands and inspection
 * `run`, from `--param NAME=VALUE`. Python's `str.format` semantics for what layouts use — `{NAME}`
 * and the escapes `{{` `}}` — and a clear failure for the rest (positional fields, format specs,
 * attribute access, lone braces), which the reference would also reject or interpret oddly.
 */
import { EvidenceError, UsageError } from '../errors.js';

const NAME = /^[a-zA-Z0-9_-]+$/;

export function checkParams(params: Record<string, string>): void {
  for (const k of Object.keys(params)) {
    if (!NAME.test(k))
      throw new UsageError(`parameter name ${JSON.stringify(k)} must match [a-zA-Z0-9_-]+`);
  }
}

/** Substitutes `{NAME}` in one string. @throws EvidenceError naming the field for unknown names. */
export function substitute(text: string, params: Record<string, string>, where: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      if (text[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = text.indexOf('}', i);
      const name = end < 0 ? '' : text.slice(i + 1, end);
      if (end < 0 || !NAME.test(name)) {
        throw new EvidenceError(
          `${where}: cannot substitute ${JSON.stringify(text)}: use {NAME} for a parameter and {{ }} for literal braces`
        );
      }
      if (!Object.prototype.hasOwnProperty.call(params, name)) {
        throw new EvidenceError(
          `${where}: the layout uses parameter {${name}}, which was not given`,
          { hint: `pass --param ${name}=VALUE` }
        );
      }
      out += params[name];
      i = end;
    } else if (c === '}') {
      if (text[i + 1] === '}') {
        out += '}';
        i++;
        continue;
      }
      throw new EvidenceError(
        `${where}: a lone "}" in ${JSON.stringify(text)} (write }} for a literal brace)`
      );
    } else out += c;
  }
  return out;
}
