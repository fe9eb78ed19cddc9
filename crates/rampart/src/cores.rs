//! Work spread over the machine's cores: how many there are, and taking a thread's result
//! back.

use std::thread::ScopedJoinHandle;

/// The cores this process may use; one when that cannot be told.
pub fn count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A scoped thread's result; its panic goes on in the caller, as if the work had been done
/// there.
pub fn join<T>(handle: ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}
