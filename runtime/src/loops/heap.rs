//! How the process keeps the memory it frees, while it serves the Runtime API.
//!
//! glibc hands freed memory back to the kernel eagerly: a block over its mmap threshold is
//! unmapped when freed, and the top of the heap is trimmed once twice the largest freed block
//! lies free there. A Lambda function that handles a 1 MiB event allocates a few such blocks
//! per invocation (the parsed strings, the result), so every invocation faulted each of their
//! pages in again: 1,058 µs of CPU per 1 MiB invocation, 393 µs with freed memory kept
//! (`bench/`, `--only ours`). A Lambda sandbox is billed for its configured memory, not for what
//! is resident, and serves one invocation after another, so memory kept for the next one
//! costs nothing; the peak the memory limit sees is unchanged.

/// Tells glibc to serve blocks up to 32 MiB from the heap and to keep up to 64 MiB of freed
/// heap, unless the user configured either setting (`MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_TRIM_THRESHOLD_` or `GLIBC_TUNABLES`): their choice wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn keep_freed_memory() {
    // glibc's largest mmap threshold on a 64-bit target (DEFAULT_MMAP_THRESHOLD_MAX).
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    const TRIM_THRESHOLD: libc::c_int = 64 << 20;

    if user_configured_malloc() {
        return;
    }
    // SAFETY: mallopt takes glibc's arena lock and may be called at any time; the values are
    // within the ranges glibc accepts (it returns 0 and changes nothing otherwise).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Other C libraries (musl) keep their own policy.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn keep_freed_memory() {}

/// Whether the environment already sets glibc's thresholds. Either one turns off glibc's
/// dynamic adjustment of both, so the two are left alone together.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn user_configured_malloc() -> bool {
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
        || std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some()
        || tunables.contains("malloc.mmap_threshold")
        || tunables.contains("malloc.trim_threshold")
}
