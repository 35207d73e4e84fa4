/**
 * SECURITY.md H-7: recorded streams end up in signed links that are often published. When the
 * output of a step contains the value of a secret-looking environment variable (a token, a
 * password), say so — and, on request, replace it — before the link is signed.
 */

/** Names that usually hold secrets (witness's sensitive-key list, in spirit). */
const SECRET_NAME =
  /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|COOKIE|SESSION)/i;

/** Shorter values match too much ordinary output to be worth a warning. */
const MIN_SECRET_LENGTH = 6;

export interface SecretHit {
  /** The environment variable whose value was found. */
  name: string;
  /** Which recorded stream(s) contained it. */
  streams: ('stdout' | 'stderr')[];
}

/** Secret-looking variables of `env` with values long enough to be recognisable. */
function secretsOf(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env)
    .filter(
      (e): e is [string, string] =>
        typeof e[1] === 'string' && e[1].length >= MIN_SECRET_LENGTH && SECRET_NAME.test(e[0])
    )
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
}

/**
 * Finds secret values in the recorded streams and, with `redact`, replaces each occurrence by
 * `[redacted $NAME]` (longest values first, so a secret containing another is replaced whole).
 */
export function scanSecrets(
  streams: { stdout: string; stderr: string },
  env: NodeJS.ProcessEnv,
  redact = false
): { hits: SecretHit[]; stdout: string; stderr: string } {
  let { stdout, stderr } = streams;
  const hits: SecretHit[] = [];
  for (const [name, value] of secretsOf(env)) {
    const found: SecretHit['streams'] = [];
    if (stdout.includes(value)) found.push('stdout');
    if (stderr.includes(value)) found.push('stderr');
    if (found.length === 0) continue;
    hits.push({ name, streams: found });
    if (redact) {
      stdout = stdout.split(value).join(`[redacted $${name}]`);
      stderr = stderr.split(value).join(`[redacted $${name}]`);
    }
  }
  hits.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { hits, stdout, stderr };
}
