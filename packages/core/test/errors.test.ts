import { describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, abortError, isAbortLike, throwIfAborted } from '../src/index.ts';

describe('BackupError', () => {
  test('carries a stable code and the cause it wraps', () => {
    const cause = new Error('socket hang up');
    const error = new BackupError(ErrorCode.UNAVAILABLE, 'storage unreachable', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(BackupError.is(error)).toBe(true);
    expect(BackupError.is(error, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(BackupError.is(error, ErrorCode.IO)).toBe(false);
    expect(BackupError.is(cause)).toBe(false);
  });

  test('aborts become ABORTED, keeping the reason', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    const reason = new Error('user pressed cancel');
    controller.abort(reason);
    const error = abortError(controller.signal);
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(error.cause).toBe(reason);
    expect(() => throwIfAborted(controller.signal)).toThrow(BackupError);
  });

  test('recognises cancellations raised by Node and SDKs', () => {
    expect(isAbortLike(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(true);
    expect(isAbortLike(Object.assign(new Error('x'), { code: 'ABORT_ERR' }))).toBe(true);
    expect(isAbortLike(new BackupError(ErrorCode.ABORTED, 'x'))).toBe(true);
    expect(isAbortLike(new Error('x'))).toBe(false);
  });
});
