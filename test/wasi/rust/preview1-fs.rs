//! Files and directories through Rust's std::fs (wasi-libc underneath), as a Rust program uses
//! them: one line per check, "ok <name>" or "FAIL <name>: <detail>", exit 1 on a failure.
//!
//!   preview1-fs-rs    with /box preopened, holding `data` ("0123456789"), `link -> data`,
//!                     `escape -> /etc`, `keep/file` and `tree/` with `tree/sub/file` and
//!                     `tree/link-out -> ../keep` (the host made them)
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NOTCAPABLE: i32 = 76;
const PERM: i32 = 63;
const NOTEMPTY: i32 = 55;

struct Checks {
    failed: usize,
}

impl Checks {
    /// Prints the check's line; `result` is Ok when it passed, else the detail.
    fn check(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => println!("ok {}", name),
            Err(detail) => {
                self.failed += 1;
                println!("FAIL {}: {}", name, detail);
            }
        }
    }
}

/// Turns an io::Error into a detail, so `?` can be used inside a check.
fn io<T>(result: std::io::Result<T>) -> Result<T, String> {
    result.map_err(|e| format!("{} (os error {:?})", e, e.raw_os_error()))
}

fn expect<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {:?}, want {:?}", got, want))
    }
}

fn os_error<T: std::fmt::Debug>(result: std::io::Result<T>, want: i32) -> Result<(), String> {
    match result {
        Err(e) if e.raw_os_error() == Some(want) => Ok(()),
        other => Err(format!("got {:?}, want os error {}", other, want)),
    }
}

fn main() {
    let mut c = Checks { failed: 0 };
    let b = Path::new("/box");

    c.check("fs::read_to_string", (|| expect(io(fs::read_to_string(b.join("data")))?, "0123456789".into()))());
    c.check("fs::create_dir_all and fs::write", (|| {
        io(fs::create_dir_all(b.join("made/deep/er")))?;
        io(fs::write(b.join("made/deep/er/f"), b"hello"))?;
        expect(io(fs::read(b.join("made/deep/er/f")))?, b"hello".to_vec())
    })());
    c.check("fs::metadata of a file and a directory", (|| {
        let file = io(fs::metadata(b.join("data")))?;
        let dir = io(fs::metadata(b.join("made")))?;
        expect((file.is_file(), file.len(), dir.is_dir()), (true, 10, true))
    })());
    c.check("fs::metadata follows a symlink, symlink_metadata does not", (|| {
        let followed = io(fs::metadata(b.join("link")))?;
        let link = io(fs::symlink_metadata(b.join("link")))?;
        expect((followed.is_file(), link.file_type().is_symlink(), link.len()), (true, true, 4))
    })());
    c.check("fs::read_link", (|| expect(io(fs::read_link(b.join("link")))?, Path::new("data").to_path_buf()))());
    c.check("fs::read_dir lists the entries with their types, without . and ..", (|| {
        let mut entries = Vec::new();
        for entry in io(fs::read_dir(b))? {
            let entry = io(entry)?;
            let kind = io(entry.file_type())?;
            let tag = if kind.is_symlink() { "l" } else if kind.is_dir() { "d" } else { "f" };
            entries.push(format!("{}:{}", entry.file_name().to_string_lossy(), tag));
        }
        entries.sort();
        expect(entries.join(" "), "data:f escape:l keep:d link:l made:d tree:d".into())
    })());

    c.check("File::seek from the end, the current position and the start", (|| {
        let mut file = io(File::open(b.join("data")))?;
        let mut text = String::new();
        let end = io(file.seek(SeekFrom::End(-3)))?;
        io(file.read_to_string(&mut text))?;
        let back = io(file.seek(SeekFrom::Current(-5)))?;
        let mut two = [0u8; 2];
        io(file.read_exact(&mut two))?;
        let start = io(file.seek(SeekFrom::Start(1)))?;
        expect((end, text.as_str(), back, &two, start), (7, "789", 5, b"56", 1))
    })());
    c.check("File::set_len shrinks and grows", (|| {
        let file = io(OpenOptions::new().write(true).open(b.join("made/deep/er/f")))?;
        io(file.set_len(2))?;
        let shrunk = io(fs::read(b.join("made/deep/er/f")))?;
        io(file.set_len(4))?;
        expect((shrunk, io(fs::read(b.join("made/deep/er/f")))?), (b"he".to_vec(), b"he\0\0".to_vec()))
    })());
    c.check("OpenOptions::append writes at the end", (|| {
        let mut file = io(OpenOptions::new().append(true).open(b.join("made/deep/er/f")))?;
        io(file.write_all(b"!"))?;
        expect(io(fs::read(b.join("made/deep/er/f")))?, b"he\0\0!".to_vec())
    })());
    c.check("OpenOptions::create_new of an existing file: AlreadyExists", (|| {
        let result = OpenOptions::new().write(true).create_new(true).open(b.join("data"));
        expect(result.map(|_| ()).map_err(|e| e.kind()), Err(ErrorKind::AlreadyExists))
    })());
    c.check("fs::copy", (|| {
        let copied = io(fs::copy(b.join("data"), b.join("made/copy")))?;
        expect((copied, io(fs::read_to_string(b.join("made/copy")))?), (10, "0123456789".into()))
    })());

    c.check("fs::rename a file and a directory", (|| {
        io(fs::rename(b.join("made/copy"), b.join("made/renamed")))?;
        io(fs::rename(b.join("made/deep"), b.join("made/moved")))?;
        expect(
            (b.join("made/copy").exists(), b.join("made/renamed").is_file(), b.join("made/moved/er/f").is_file()),
            (false, true, true),
        )
    })());
    c.check("fs::hard_link: two names, one file", (|| {
        io(fs::hard_link(b.join("made/renamed"), b.join("made/hard")))?;
        io(fs::write(b.join("made/renamed"), b"changed"))?;
        let through_link = io(fs::read_to_string(b.join("made/hard")))?;
        io(fs::remove_file(b.join("made/renamed")))?;
        expect((through_link.as_str(), io(fs::read_to_string(b.join("made/hard")))?.as_str()), ("changed", "changed"))
    })());
    c.check("fs::remove_dir of a non-empty directory: ENOTEMPTY", os_error(fs::remove_dir(b.join("made")), NOTEMPTY));
    c.check("fs::remove_dir_all removes a tree and does not follow its symlinks", (|| {
        io(fs::remove_dir_all(b.join("tree")))?;
        expect((b.join("tree").exists(), io(fs::read_to_string(b.join("keep/file")))?.as_str()), (false, "kept"))
    })());
    c.check("fs::remove_file and fs::remove_dir", (|| {
        io(fs::remove_file(b.join("made/hard")))?;
        io(fs::remove_file(b.join("made/moved/er/f")))?;
        io(fs::remove_dir(b.join("made/moved/er")))?;
        expect(b.join("made/moved/er").exists(), false)
    })());

    c.check("File::open through escape -> /etc: ENOTCAPABLE", os_error(File::open(b.join("escape/passwd")), NOTCAPABLE));
    // wasi-libc hands "../etc/passwd" to the /box preopen: the guest's own '..' above the base is EPERM, as the WASI
    // testsuite's interesting_paths expects (a symlink out, as escape above, stays ENOTCAPABLE).
    c.check("File::open of /box/../etc/passwd: EPERM", os_error(File::open("/box/../etc/passwd"), PERM));
    c.check("SystemTime::now is after 2020", (|| {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?;
        expect(since > Duration::from_secs(1_577_836_800), true)
    })());

    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
