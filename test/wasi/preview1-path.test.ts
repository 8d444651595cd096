// The path_* calls (issue 10), and what the test programs showed about paths:
// path_open without SYMLINK_FOLLOW on a dangling symlink and on a symlink to a directory
// (ELOOP/ENOTDIR as Linux's O_NOFOLLOW gives), a NUL in a path (refused, not cut short), a
// short path_readlink buffer (truncated, the bytes written reported). The guest is
// test/wasi/c/preview1-path.c.
import { join } from 'node:path';
import { describeChecks, makeTree } from './preview1-helpers.js';

describeChecks('path_* calls', 'preview1-path', [
  'path_open without SYMLINK_FOLLOW on a dangling symlink: ELOOP',
  'path_open DIRECTORY without SYMLINK_FOLLOW on a dangling symlink: ENOTDIR',
  'path_open without SYMLINK_FOLLOW on a symlink to a directory: ELOOP',
  'path_open DIRECTORY without SYMLINK_FOLLOW on a symlink to a directory: ENOTDIR',
  'path_open without SYMLINK_FOLLOW on a symlink to a file: ELOOP',
  'path_open following a symlink to a directory',
  'path_open following a dangling symlink: ENOENT',
  'path_open of a missing file: ENOENT',
  'path_open of an empty path: ENOENT',
  'path_open DIRECTORY on a file: ENOTDIR',
  'path_open of file/ (trailing slash): ENOTDIR',
  'path_open through a file: ENOTDIR',
  'path_open CREAT|EXCL of an existing file: EEXIST',
  'path_open CREAT|EXCL of a new file',
  'path_open dir/nested/file',
  'path_open TRUNC empties the file',
  'path_open with a file as the directory: ENOTDIR',
  'path_open of "dir/nested/file\\0": EILSEQ or EINVAL, not opened',
  'path_open of "dir\\0nested/file": EILSEQ or EINVAL, not opened',
  'path_create_directory of "made\\0dir": refused, nothing made',
  'path_filestat_get of a path ending in NUL: EILSEQ or EINVAL',
  'path_filestat_get of invalid UTF-8: EILSEQ',
  'path_readlink gives the whole target, no NUL',
  'path_readlink with a short buffer truncates and reports the bytes written',
  'path_readlink of a file: EINVAL',
  'path_symlink then path_readlink',
  'path_symlink over an existing name: EEXIST',
  'path_filestat_get follows a symlink only with SYMLINK_FOLLOW',
  "path_filestat_set_times without SYMLINK_FOLLOW sets the link's times",
  'path_create_directory',
  'path_create_directory of an existing name: EEXIST',
  'path_remove_directory of a non-empty directory: ENOTEMPTY',
  'path_remove_directory of a file: ENOTDIR',
  'path_remove_directory',
  'path_unlink_file of a directory: EISDIR',
  'path_unlink_file of a missing file: ENOENT',
  'path_unlink_file of a file/ (trailing slash): ENOTDIR',
  'path_unlink_file of a symlink removes the link',
  'path_link makes a second name',
  'path_link onto an existing name: EEXIST',
  'path_rename into a subdirectory',
  'path_rename over an existing file',
  'path_rename a directory over an empty one',
  'path_rename a directory over a non-empty one: ENOTEMPTY',
  'path_rename a file over a directory: EISDIR',
  'path_rename a missing name: ENOENT',
], async (work) => {
  await makeTree(join(work, 'box'), {
    'file': 'hello',
    'dir/nested/file': 'x',
    'dangling': { symlink: 'nowhere' },
    'dir-link': { symlink: 'dir' },
    'file-link': { symlink: 'file' },
    'long-link': { symlink: 'a-rather-long-symlink-target' },
  });
  return { preopens: { '/box': join(work, 'box') } };
});
