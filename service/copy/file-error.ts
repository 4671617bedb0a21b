// A file system error as a typed error a caller can read: the kind the
// errno means, and a sentence naming what could not be done and where.
// Small on purpose: workers, which load little, use it too.

import { errorMessage, SwitcherError } from '../errors.js';

/** A file system error as a typed error a caller can read. */
export function fileError(error: unknown, doing: string): SwitcherError {
  if (error instanceof SwitcherError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const path = (error as NodeJS.ErrnoException).path ?? '';
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new SwitcherError('AccessDenied', `Cannot ${doing}: permission denied on ${path}`);
    case 'ENOENT':
    case 'ENOTDIR':
      return new SwitcherError('NoSuchFile', `Cannot ${doing}: ${path} does not exist`);
    case 'ELOOP':
      return new SwitcherError('NoSuchFile', `Cannot ${doing}: ${path} is a loop of symbolic links`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new SwitcherError('InvalidState', `Cannot ${doing}: no space left on the disk of ${path}`);
    case 'EROFS':
      return new SwitcherError('InvalidState', `Cannot ${doing}: ${path} is on a read-only file system`);
    case 'EEXIST':
      return new SwitcherError('AlreadyExists', `Cannot ${doing}: ${path} already exists`);
    default:
      return new SwitcherError('Internal', `Cannot ${doing}: ${errorMessage(error)}`);
  }
}
