//! The allocator's options as the build bakes them in (`.cargo/config.toml`): read back
//! from the jemalloc this crate links, so a build that lost them (the variable renamed, the
//! file not read) fails here rather than in a memory benchmark nobody runs. The string is
//! applied whole, so two of its options stand for the rest (the decay times have no safe
//! reader).

use tikv_jemalloc_ctl::{background_thread, opt};

#[test]
fn jemalloc_runs_one_arena_and_returns_freed_pages_from_its_background_thread() {
    assert_eq!(opt::narenas::read().expect("opt.narenas"), 1);
    assert!(
        opt::background_thread::read().expect("opt.background_thread"),
        "the option"
    );
    assert!(
        background_thread::read().expect("background_thread"),
        "and the thread runs"
    );
}
