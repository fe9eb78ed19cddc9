//! Handing freed memory back to the system after an operator pass.
//!
//! jemalloc returns an arena's freed pages gradually over its decay time, and its decay
//! clock advances when the arena is used: after the first full pass the operator holds
//! about 20 MiB of freed pages for half a minute, until the next pass that allocates
//! (docs/performance.md, seventh round). Returning pages on every free instead costs the
//! offline scan 1.45x its time, so the operator asks once per pass. Setting an arena's
//! decay time restarts its decay from scratch, and a time of zero purges every dirty
//! page at once; putting the old time back leaves the arena as it was configured. This
//! goes through the allocator's typed control interface, so it needs no unsafe code.

use tikv_jemalloc_ctl::{Access, AsName, arenas};
use tracing::warn;

/// Purges the freed pages of every arena. Best effort: an arena index that is not in use
/// (jemalloc creates them on demand) or a refused purge leaves that arena to its decay.
pub fn settle() {
    let Ok(count) = arenas::narenas::read() else {
        return;
    };
    for arena in 0..count {
        let name = decay_key(arena);
        let key = name.as_bytes().name();
        if let Ok(configured) = Access::<isize>::update(key, 0)
            && configured != 0
            && let Err(e) = Access::<isize>::write(key, configured)
        {
            // Left at zero, the arena would return pages on every free: slower, not wrong.
            warn!(arena, error = %e, "could not restore the allocator's decay time");
        }
    }
}

/// The control that holds an arena's decay time, as jemalloc names it.
fn decay_key(arena: u32) -> String {
    format!("arena.{arena}.dirty_decay_ms\0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tikv_jemalloc_ctl::epoch;

    fn dirty_pages(arena: u32) -> usize {
        epoch::advance().expect("epoch");
        let name = format!("stats.arenas.{arena}.pdirty\0");
        Access::<usize>::read(name.as_bytes().name()).expect("pdirty")
    }

    fn decay_ms(arena: u32) -> isize {
        let name = decay_key(arena);
        Access::<isize>::read(name.as_bytes().name()).expect("dirty_decay_ms")
    }

    fn set_decay_ms(arena: u32, ms: isize) {
        let name = decay_key(arena);
        Access::<isize>::write(name.as_bytes().name(), ms).expect("set dirty_decay_ms");
    }

    #[test]
    fn a_settle_returns_freed_pages_and_keeps_the_decay_time() {
        // Decay off, so the freed pages stay dirty until something purges them, whatever
        // the background thread does meanwhile.
        let arena = Access::<u32>::read(b"thread.arena\0".name()).expect("thread.arena");
        let configured = decay_ms(arena);
        set_decay_ms(arena, -1);
        let held: Vec<Vec<u8>> = (0..4096).map(|i| vec![(i % 251) as u8; 8192]).collect();
        assert_eq!(held.len(), 4096);
        drop(held);
        let before = dirty_pages(arena);
        assert!(before >= 2048, "freed pages stay dirty: {before}");
        settle();
        let after = dirty_pages(arena);
        let kept = decay_ms(arena);
        set_decay_ms(arena, configured);
        assert!(after < before / 8, "purged: {before} -> {after}");
        assert_eq!(kept, -1, "the decay time is put back");
    }
}
