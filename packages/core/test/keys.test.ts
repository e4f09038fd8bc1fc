import { describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, normalizeKey, normalizePrefix, normalizeRootPath } from '../src/index.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return BackupError.is(error) ? error.code : 'not a BackupError';
  }
  return undefined;
}

describe('normalizeKey', () => {
  test.each(['backup_config.json', 'id/node1/Class/chunk-1', 'a b/+=&?#%', 'Straße/日本語', '.hidden/file'])('accepts %j', (key) => {
    expect(normalizeKey(key)).toBe(key);
  });

  test.each(['', '/abs', '../up', 'a/../b', 'a/./b', 'a//b', 'end/', 'nul\u0000', 'del\u007f', 'c1\u0085', 'back\\slash'])(
    'rejects %j with INVALID_ARGUMENT',
    (key) => {
      expect(codeOf(() => normalizeKey(key))).toBe(ErrorCode.INVALID_ARGUMENT);
    },
  );

  test('returns keys in NFC so one name is one object', () => {
    expect(normalizeKey('Cafe\u0301')).toBe('Caf\u00e9');
  });

  test('limits keys to 1024 bytes of UTF-8', () => {
    expect(normalizeKey('a'.repeat(1024))).toHaveLength(1024);
    expect(codeOf(() => normalizeKey('a'.repeat(1025)))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => normalizeKey('é'.repeat(513)))).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});

describe('normalizePrefix', () => {
  test('allows the empty prefix and a trailing slash', () => {
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('backup-1/')).toBe('backup-1/');
    expect(normalizePrefix('backup-1/node')).toBe('backup-1/node');
  });

  test.each(['/', '../', 'a//', 'a/../'])('rejects %j', (prefix) => {
    expect(codeOf(() => normalizePrefix(prefix))).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});

describe('normalizeRootPath', () => {
  test('trims slashes; empty means the bucket root', () => {
    expect(normalizeRootPath(undefined)).toBe('');
    expect(normalizeRootPath('/')).toBe('');
    expect(normalizeRootPath('/backups/prod/')).toBe('backups/prod');
  });

  test('rejects traversal', () => {
    expect(codeOf(() => normalizeRootPath('backups/../../etc'))).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});
