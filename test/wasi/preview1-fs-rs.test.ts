// Files and directories through Rust's std::fs (issue 10): read_dir, metadata and
// symlink_metadata, read_link, rename, hard_link, remove_dir_all (not following a symlink out of
// the tree), set_len, File::seek, append, create_new, copy, and the sandbox as a Rust program
// sees it. The guest is test/wasi/rust/preview1-fs.rs, built with Debian's rustc.
import { join } from 'node:path';
import { describeChecks, makeTree } from './preview1-helpers.js';

describeChecks('std::fs in a Rust guest', 'preview1-fs-rs', [
  'fs::read_to_string',
  'fs::create_dir_all and fs::write',
  'fs::metadata of a file and a directory',
  'fs::metadata follows a symlink, symlink_metadata does not',
  'fs::read_link',
  'fs::read_dir lists the entries with their types, without . and ..',
  'File::seek from the end, the current position and the start',
  'File::set_len shrinks and grows',
  'OpenOptions::append writes at the end',
  'OpenOptions::create_new of an existing file: AlreadyExists',
  'fs::copy',
  'fs::rename a file and a directory',
  'fs::hard_link: two names, one file',
  'fs::remove_dir of a non-empty directory: ENOTEMPTY',
  'fs::remove_dir_all removes a tree and does not follow its symlinks',
  'fs::remove_file and fs::remove_dir',
  'File::open through escape -> /etc: ENOTCAPABLE',
  'File::open of /box/../etc/passwd: EPERM',
  'SystemTime::now is after 2020',
], async (work) => {
  await makeTree(join(work, 'box'), {
    'data': '0123456789',
    'keep/file': 'kept',
    'tree/sub/file': 'tree',
    'link': { symlink: 'data' },
    'escape': { symlink: '/etc' },
    'tree/link-out': { symlink: '../keep' },
  });
  return { preopens: { '/box': join(work, 'box') } };
});
