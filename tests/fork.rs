//! A store inherited through fork() refuses calls. (Its own test binary:
//! the fork hook is process-wide.)

use coatcheck::{Config, ErrorKind, NewSession, Store};

#[test]
fn after_the_fork_hook_a_store_refuses_every_call_and_a_new_one_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path, Config::default().sweep_interval(None)).unwrap();
    let token = store
        .create(NewSession::default())
        .unwrap()
        .token()
        .unwrap()
        .to_owned();
    store.get(&token).unwrap(); // now cached in memory

    coatcheck::fork::forked_child();

    for err in [
        store.get(&token).unwrap_err(),
        store.set(&token, "k", 1).unwrap_err(),
        store.create(NewSession::default()).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Storage);
        let text = err.to_string();
        assert!(
            text.contains("fork()") && text.contains("open the store in the worker"),
            "{text}"
        );
    }
    // The hook cannot release the parent's lock (this test is one process),
    // but a store opened after it works normally.
    let fresh = Store::in_memory(Config::default().sweep_interval(None)).unwrap();
    assert!(fresh.create(NewSession::default()).is_ok());
}
