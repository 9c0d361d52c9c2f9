// A small file system of its own for full-disk tests: a tmpfs of a few megabytes mounted on a fresh directory
// (root only: `mount -t tmpfs -o size=…`). It fills up for real, so a store on it meets ENOSPC / SQLSTATE 53100
// exactly as on a full production disk; growing it afterwards is freeing space. Where the machine cannot mount
// (not root, no CAP_SYS_ADMIN in a container), `mountSmallDisk` says why instead of pretending.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point: everything under it shares the disk's size. */
  readonly dir: string;
  /** Gives the disk `megabytes` in all (frees space without touching the files on it). */
  grow(megabytes: number): void;
  /** Unmounts it (its files go with it) and removes the mount point. */
  unmount(): void;
}

/** A mounted tmpfs of `megabytes` (owned by `owner`, a user name, when given), or why none could be mounted. */
export function mountSmallDisk(megabytes: number, owner?: string): SmallDisk | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'mounting a small file system needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'callpermit-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0777`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { unavailable: `cannot mount a tmpfs here: ${stderr || (error as Error).message}` };
  }
  // A PostgreSQL server writes as its own user (`postgres`): the mount point must be its.
  if (owner !== undefined) execFileSync('chown', [owner, dir]);
  let mounted = true;
  return {
    dir,
    grow: (size) => {
      execFileSync('mount', ['-o', `remount,size=${size}m`, dir], { stdio: 'pipe' });
    },
    unmount: () => {
      if (!mounted) return;
      // A process that still has a file open keeps it busy for a moment (PGlite closing, a server stopping).
      for (let attempt = 0; ; attempt++) {
        try {
          execFileSync('umount', [dir], { stdio: 'pipe' });
          break;
        } catch {
          if (attempt >= 20) {
            execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
            break;
          }
          execFileSync('sleep', ['0.25']);
        }
      }
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
