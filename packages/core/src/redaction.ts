/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Variables whose values are credentials: the three clouds' and the node's
 * own (API keys, cluster secret). Their values never appear in a log line, a
 * status or an error message.
 */
export const SECRET_ENV_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AZURE_STORAGE_KEY',
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_STORAGE_SAS_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS_JSON',
  'AUTHENTICATION_APIKEY_ALLOWED_KEYS',
  'CLUSTER_SECRET',
] as const;

/** Credentials in a form recognisable without knowing them: signed URLs, connection strings, keys, tokens. */
const PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s"']+/gi, `$1=${REDACTED}`],
  [/([?&](?:sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Goog-Signature|X-Goog-Credential)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/\b(Bearer|Basic) +[A-Za-z0-9._~+/-]+=*/g, `$1 ${REDACTED}`],
  [/("private_key(?:_id)?"\s*:\s*")[^"]*/g, `$1${REDACTED}`],
];

/** The secret values in `env` (and the parts of list- or connection-string-shaped ones), longest first. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set<string>();
  for (const name of SECRET_ENV_VARIABLES) {
    const value = env[name]?.trim();
    if (!value) continue;
    secrets.add(value);
    // A key list: each key on its own. A connection string: its key or signature, as an error may quote one.
    if (name === 'AUTHENTICATION_APIKEY_ALLOWED_KEYS') for (const key of value.split(',')) secrets.add(key.trim());
    for (const match of value.matchAll(/(?:AccountKey|SharedAccessSignature|SharedAccessKey)=([^;]+)/gi)) secrets.add(match[1]!.trim());
  }
  return [...secrets].filter((secret) => secret.length >= 6).sort((a, b) => b.length - a.length);
}

/**
 * A function that removes every known secret and every credential-shaped
 * text from a message. The server applies it to log lines and API answers;
 * the engine to the errors it records.
 */
export function createRedactor(secrets: readonly string[] = secretsFromEnv()): (text: string) => string {
  const known = secrets.filter((secret) => secret.length >= 6);
  return (text) => {
    let out = text;
    for (const secret of known) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}
