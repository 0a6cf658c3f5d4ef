import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DirLock {
  release(): void;
}

/**
 * The embedded store is one process's: PGlite does not stop a second process from opening the same
 * folder (and corrupting it), so a lock file holding the owner's pid does. A stale lock is taken over.
 */
const heldHere = new Set<string>();

export function acquireDirLock(dir: string): DirLock {
  const file = join(dir, '..', 'pg.lock');
  if (heldHere.has(file)) throw new Error(`the embedded database in ${dir} is in use by this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(file);
      return {
        release: () => {
          heldHere.delete(file);
          unlinkSafe(file);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSafe(file));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new Error(`the embedded database in ${dir} is in use by process ${owner}`, { cause: error });
      }
      unlinkSafe(file);
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function unlinkSafe(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}
