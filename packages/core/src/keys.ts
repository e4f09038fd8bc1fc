import { BackupError, ErrorCode } from './errors.ts';

/** Object keys are limited like S3's, the strictest backend: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

// C0 and C1 control characters and DEL: invisible, and mangled by some backends.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/u;

function invalid(what: string, value: string, why: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid ${what} ${JSON.stringify(value)}: ${why}`);
}

function checkSegments(what: string, value: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === '') throw invalid(what, value, 'empty path segment');
    if (segment === '.' || segment === '..') throw invalid(what, value, `"${segment}" segments are not allowed`);
  }
}

function checkCharacters(what: string, value: string): void {
  if (CONTROL_CHARACTERS.test(value)) throw invalid(what, value, 'control characters are not allowed');
  if (value.includes('\\')) throw invalid(what, value, 'backslashes are not allowed');
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) {
    throw invalid(what, value, `longer than ${MAX_KEY_BYTES} bytes`);
  }
}

/**
 * Validates an object key and returns it in canonical form (Unicode NFC).
 * A key is a relative, '/'-separated path: no leading '/', no empty, '.' or
 * '..' segments, no control characters or backslashes. Providers only ever see
 * keys that passed through here, so none of them can be tricked into writing
 * outside its root.
 */
export function normalizeKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'an object key must be a non-empty string');
  }
  const canonical = key.normalize('NFC');
  checkCharacters('key', canonical);
  if (canonical.startsWith('/')) throw invalid('key', canonical, 'absolute keys are not allowed');
  checkSegments('key', canonical, canonical.split('/'));
  return canonical;
}

/**
 * Validates a listing prefix. The empty prefix lists everything; otherwise the
 * same rules as keys apply, except that a trailing '/' is allowed (and common).
 */
export function normalizePrefix(prefix: string): string {
  if (prefix === '') return '';
  if (typeof prefix !== 'string') {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a list prefix must be a string');
  }
  const canonical = prefix.normalize('NFC');
  checkCharacters('prefix', canonical);
  if (canonical.startsWith('/')) throw invalid('prefix', canonical, 'absolute prefixes are not allowed');
  const body = canonical.endsWith('/') ? canonical.slice(0, -1) : canonical;
  checkSegments('prefix', canonical, body.split('/'));
  return canonical;
}

/**
 * Validates a folder for `listFolders`: `''` (the root) or a prefix that
 * ends in `/`. Returns it in canonical form.
 */
export function normalizeFolder(folder: string): string {
  const canonical = normalizePrefix(folder);
  if (canonical !== '' && !canonical.endsWith('/')) throw invalid('folder', canonical, "a folder is '' or ends with '/'");
  return canonical;
}

/**
 * Validates the `path` of a cloud location (a prefix inside a bucket) and
 * returns it without leading or trailing slashes; '' means the bucket's root.
 */
export function normalizeRootPath(path: string | undefined): string {
  if (path === undefined) return '';
  const trimmed = path.normalize('NFC').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  checkCharacters('path', trimmed);
  checkSegments('path', path, trimmed.split('/'));
  return trimmed;
}

/** Joins non-empty key parts with '/'. */
export function joinKey(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}
