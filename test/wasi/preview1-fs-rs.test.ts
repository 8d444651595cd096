// Files and directories through Rust's std::fs (issue 10): read_dir, metadata and
// symlink_metadata, read_link, rename, hard_link, remove_dir_all (not following a symlink out of
// the tree), set_len, File::seek, append, create_new, copy, and the sandbox as a Rust program
// sees it. The guest is test/wasi/rust/preview1-fs.rs, built with Debian's rustc.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'vitest';
import { expectChecks, missingGuest, runChecks, scratchFolder } from './preview1-helpers.js';

const GUEST = 'preview1-fs-rs';
const work = scratchFolder('wasmux-fs-rs-');

describe('std::fs in a Rust guest', () => {
  expectChecks([
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
    'File::open of /box/../etc/passwd: ENOTCAPABLE',
    'SystemTime::now is after 2020',
  ], async () => {
    const box = join(work(), 'box');
    await mkdir(join(box, 'keep'), { recursive: true });
    await mkdir(join(box, 'tree', 'sub'), { recursive: true });
    await writeFile(join(box, 'data'), '0123456789');
    await writeFile(join(box, 'keep', 'file'), 'kept');
    await writeFile(join(box, 'tree', 'sub', 'file'), 'tree');
    await symlink('data', join(box, 'link'));
    await symlink('/etc', join(box, 'escape'));
    await symlink('../keep', join(box, 'tree', 'link-out'));
    return runChecks(work(), GUEST, { preopens: { '/box': box } });
  }, { skip: missingGuest(GUEST) });
});
