import { execFileSync } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';

/** A directory whose writes the operating system refuses, for real, and how to undo that. */
export interface Unwritable {
  /** What the refusal is: a read-only mount, or missing permission. */
  reason: 'EROFS' | 'EACCES';
  /** Makes `dir` refuse writes (and, for EACCES, reads). */
  deny(): Promise<void>;
  /** Makes it writable again. */
  allow(): Promise<void>;
  /** Unmounts what `prepare` mounted. */
  dispose(): Promise<void>;
}

/**
 * Prepares `dir` to be made unwritable without simulating anything: as root (whom permission bits
 * do not stop) a tmpfs is mounted there and remounted read-only (`EROFS`); as any other user the
 * permission bits are cleared (`EACCES`). Root without the right to mount cannot be refused either
 * way: the test fails and says so rather than passing without checking.
 * @param dir an empty directory to use; files written into it before `deny()` stay readable.
 */
export async function prepareUnwritable(dir: string): Promise<Unwritable> {
  await mkdir(dir, { recursive: true });
  if (process.getuid?.() !== 0) {
    return {
      reason: 'EACCES',
      deny: () => chmod(dir, 0o000),
      allow: () => chmod(dir, 0o755),
      dispose: () => chmod(dir, 0o755),
    };
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `these tests run as root, where only a read-only mount refuses writes, and mount(8) failed (${(error as Error).message}): run them as another user or with the right to mount`,
      { cause: error },
    );
  }
  const remount = (mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
  return {
    reason: 'EROFS',
    deny: async () => void remount('ro'),
    allow: async () => void remount('rw'),
    dispose: async () => void execFileSync('umount', [dir], { stdio: 'pipe' }),
  };
}
