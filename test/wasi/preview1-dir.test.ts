// fd_readdir and the preopens (issue 10): . and .., d_type and d_ino, a cookie resuming at every
// position, a buffer that cuts an entry, fd_prestat_get and fd_prestat_dir_name (a short
// buffer too). The guest is test/wasi/c/preview1-dir.c.
import { join } from 'node:path';
import { DIR, describeChecks, makeTree } from './preview1-helpers.js';

describeChecks('fd_readdir and preopens', 'preview1-dir', [
  'open listing/',
  'fd_readdir lists . and .. and every entry once',
  "fd_readdir's d_type: file, directory, symlink, and . a directory",
  "fd_readdir's d_ino is the entry's own inode (a symlink's, not its target's)",
  'fd_readdir resumes at every cookie, and is empty past the end',
  'fd_readdir into a buffer that ends in the first header gets its bytes',
  'fd_readdir into a buffer that ends in the first name gets its bytes',
  'fd_readdir into a buffer that ends in the second header gets its bytes',
  'fd_readdir from cookie 0 again sees a new file',
  'fd_readdir of an empty directory: . and ..',
  'fd_readdir of a file: ENOTDIR',
  'libc readdir sees the 5 entries, . and ..',
  'fd_prestat_get of /box: a directory, name length 4',
  'fd_prestat_dir_name into 4 bytes: /box, no NUL',
  'fd_prestat_dir_name into 3 bytes: ENAMETOOLONG or EINVAL, nothing past them',
  'fd_prestat_dir_name at 2^31+: EFAULT',
  'fd_prestat_get of stdout: EBADF',
  'fd_prestat_get of a directory opened by path_open: EBADF',
  'fd_prestat_dir_name of it: EBADF',
  'fd_prestat_get of fd 1000: EBADF',
  'the second preopen is the next fd',
], async (work) => {
  await makeTree(work, {
    'box/listing/a-file': 'a',
    'box/listing/b-dir': DIR,
    'box/listing/c-link': { symlink: 'a-file' },
    'box/listing/d-longer-name-file': 'd',
    'box/empty': DIR,
    'second': DIR,
  });
  return { preopens: { '/box': join(work, 'box'), '/second': join(work, 'second') } };
});
