//! Shared setup for the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use coatcheck::{Config, ManualClock, NewSession, Store, Timestamp};

/// A store in memory on a manual clock, with the background sweeper off.
pub fn memory_store(config: Config) -> (Store, ManualClock) {
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000));
    let store = Store::in_memory(config.sweep_interval(None).clock(clock.clone()))
        .expect("an in-memory store opens");
    (store, clock)
}

/// A store in memory with the default configuration.
pub fn store() -> (Store, ManualClock) {
    memory_store(Config::default())
}

/// Creates a session and returns its token.
pub fn new_token(store: &Store, new: NewSession) -> String {
    store
        .create(new)
        .expect("create succeeds")
        .token()
        .expect("create returns the token")
        .to_owned()
}

pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}
