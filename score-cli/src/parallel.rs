//! Loading many Score files on every core.

use std::thread;

/// glibc gives every thread that allocates its own heap ("arena"); the memory a worker's
/// allocations leave behind then stays resident next to the main heap (+5 MiB at 200 workloads).
/// One shared arena keeps peak RSS where a single thread would have it; allocations of small
/// objects still go through each thread's lock-free cache.
pub fn share_one_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Below this many items a second thread costs more than it saves.
const MIN_PER_THREAD: usize = 8;

/// `items.iter().map(f).collect()`, spread over the available cores; results keep the order of
/// `items`, so output and diagnostics do not depend on scheduling.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug; re-raise it on the main thread with its message.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_input() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(
            map(&items, |i| i * 2),
            (0..1000).map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(map(&items[..3], |i| i + 1), vec![1, 2, 3]);
        assert!(map(&[] as &[usize], |i| *i).is_empty());
    }
}
