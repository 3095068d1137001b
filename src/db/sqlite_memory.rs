//! SQLite's own allocations (page caches, prepared statements, rows) go to mimalloc, the
//! allocator the rest of the binary uses, and without SQLite's memory statistics.
//!
//! Left alone, SQLite takes glibc's `malloc` and counts every allocation under one process-wide
//! mutex; with sixteen connection threads that was about a twentieth of an uncached catalogue
//! page's CPU time (`malloc_consolidate`, the statistics mutex; BENCHMARKS.md).
use std::ffi::{c_int, c_void};

use libsqlite3_sys as ffi;

unsafe extern "C" fn allocate(size: c_int) -> *mut c_void {
    // SAFETY: mimalloc's malloc accepts any size; SQLite frees the block with `release`.
    unsafe { libmimalloc_sys::mi_malloc(usize::try_from(size).unwrap_or(0)) }
}

unsafe extern "C" fn release(block: *mut c_void) {
    // SAFETY: SQLite hands back only blocks from `allocate` or `resize`.
    unsafe { libmimalloc_sys::mi_free(block) }
}

unsafe extern "C" fn resize(block: *mut c_void, size: c_int) -> *mut c_void {
    // SAFETY: as `release`; mimalloc's realloc keeps the contents.
    unsafe { libmimalloc_sys::mi_realloc(block, usize::try_from(size).unwrap_or(0)) }
}

unsafe extern "C" fn size_of(block: *mut c_void) -> c_int {
    // SAFETY: as `release`. SQLite's blocks are far below 2 GiB.
    let size = unsafe { libmimalloc_sys::mi_usable_size(block) };
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn round_up(size: c_int) -> c_int {
    // SAFETY: a pure function of the size.
    let rounded = unsafe { libmimalloc_sys::mi_good_size(usize::try_from(size).unwrap_or(0)) };
    c_int::try_from(rounded).unwrap_or(size)
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

/// Must run before the process opens its first SQLite database, while no other thread uses SQLite
/// (SQLite's configuration is not thread-safe): the binary calls it first thing in `main`. Later,
/// SQLite refuses the change and this returns `false`; it then keeps its defaults, which work too.
pub fn use_mimalloc() -> bool {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(allocate),
        xFree: Some(release),
        xRealloc: Some(resize),
        xSize: Some(size_of),
        xRoundup: Some(round_up),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLite copies the methods before returning; the caller keeps other threads away.
    unsafe {
        ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) == ffi::SQLITE_OK
            && ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                &methods as *const ffi::sqlite3_mem_methods,
            ) == ffi::SQLITE_OK
    }
}
