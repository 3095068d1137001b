//! The index directory, with the stored documents read by `pread` instead of through the map.
//!
//! A page of hits reads its stored documents in 4 KB blocks spread over the whole store (33 MB for
//! 100,000 proposals). Memory-mapped, every block a search touched (with the kernel's fault-around
//! of 64 KB) stayed in the process's resident set: under search load the whole store was resident,
//! 31 MB of the server's peak. Read with `pread`, the blocks stay in the kernel's page cache, which
//! is not the process's, and tantivy keeps its own small cache of decompressed blocks. Term
//! dictionaries, postings and fast fields stay mapped: searches walk them, and there a read per
//! access would cost.
use std::ffi::OsStr;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::HasLen;
use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

/// Reads at least this long go through the map: a merge copies a whole store at once, which read
/// into the heap would cost its full size for the merge's duration.
const MAPPED_READ_BYTES: usize = 1 << 20;

#[derive(Clone, Debug)]
pub(super) struct StoreByRead {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl StoreByRead {
    pub(super) fn open(root: &Path) -> Result<Self, OpenDirectoryError> {
        Ok(Self {
            mapped: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }
}

/// A store file: small reads by `pread`, large ones from the map.
#[derive(Debug)]
struct StoreFile {
    file: File,
    mapped: Arc<dyn FileHandle>,
}

impl HasLen for StoreFile {
    fn len(&self) -> usize {
        self.mapped.len()
    }
}

impl FileHandle for StoreFile {
    fn read_bytes(&self, range: Range<usize>) -> std::io::Result<OwnedBytes> {
        if range.len() >= MAPPED_READ_BYTES {
            return self.mapped.read_bytes(range);
        }
        let mut bytes = vec![0; range.len()];
        self.file.read_exact_at(&mut bytes, range.start as u64)?;
        Ok(OwnedBytes::new(bytes))
    }
}

impl Directory for StoreByRead {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mapped = self.mapped.get_file_handle(path)?;
        if path.extension() != Some(OsStr::new("store")) || mapped.is_empty() {
            return Ok(mapped);
        }
        let file = File::open(self.root.join(path))
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(Arc::new(StoreFile { file, mapped }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}
