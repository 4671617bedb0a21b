// A worker runs as the caller: the kernel decides what it may open. It still
// walks a caller's paths with its own identity (access/caller-files.ts) before
// opening them, so that a refusal names the folder that is closed, and a
// file behind a closed folder looks the same as nothing — as the service
// answered when it walked them itself.

import type { FileCaller } from '../access/caller-files.js';

/** This process as file permissions see it: its effective uid, and its effective and supplementary groups. */
export function selfAsCaller(): FileCaller {
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  const groups = process.getgroups?.() ?? [];
  return { uid, gids: [gid, ...groups.filter((g) => g !== gid)] };
}
