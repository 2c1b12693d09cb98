//! The file: what survives a reopen, what the file holds (no tokens),
//! locking against a second owner, and foreign or newer files.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use coatcheck::{Config, Durability, ErrorKind, NewSession, Store, Value};

const CHILD_ENV: &str = "COATCHECK_TEST_OPEN_PATH";

fn config() -> Config {
    Config::default().sweep_interval(None)
}

#[test]
fn everything_survives_a_reopen_and_the_indexes_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let (alice, bob, gone) = {
        let store = Store::open(&path, config()).unwrap();
        let alice = store
            .create(NewSession::for_user("alice").insert("cart", vec![Value::from(1)]))
            .unwrap();
        let bob = store.create(NewSession::for_user("bob")).unwrap();
        let gone = store.create(NewSession::for_user("bob")).unwrap();
        store.set(alice.token().unwrap(), "theme", "dark").unwrap();
        store.logout(gone.token().unwrap()).unwrap();
        // No close: Immediate durability means it is on disk already.
        drop(store);
        (alice, bob, gone)
    };
    let store = Store::open(&path, config()).unwrap();
    let a = store.get(alice.token().unwrap()).unwrap();
    assert_eq!(a.get("theme"), Some(&Value::from("dark")));
    assert_eq!(a.version(), 1);
    assert!(store.get(bob.token().unwrap()).is_ok());
    assert_eq!(
        store.get(gone.token().unwrap()).unwrap_err().kind(),
        ErrorKind::Revoked
    );
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(store.users(None, 10).unwrap(), ["alice", "bob"]);
    assert_eq!(store.sessions_of("bob").unwrap().len(), 1);
    assert_eq!(store.destroy_user("bob").unwrap(), 1);
    assert_eq!(store.count_users().unwrap(), 1);
}

#[test]
fn the_file_holds_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path, config()).unwrap();
    let mut tokens = Vec::new();
    for i in 0..5 {
        let s = store.create(NewSession::for_user(format!("u{i}"))).unwrap();
        let token = s.token().unwrap().to_owned();
        let pair = store.issue_pair(&token).unwrap();
        tokens.push(token);
        tokens.push(pair.refresh);
    }
    store.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.windows(2).any(|w| w == b"u3"),
        "the file holds the sessions"
    );
    for token in &tokens {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "a token is in the file"
        );
    }
}

#[test]
fn periodic_durability_is_visible_at_once_and_flushed_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let token = {
        let store = Store::open(
            &path,
            config().durability(Durability::Periodic(Duration::from_secs(3600))),
        )
        .unwrap();
        let token = store
            .create(NewSession::default())
            .unwrap()
            .token()
            .unwrap()
            .to_owned();
        store.set(&token, "k", 1).unwrap();
        assert_eq!(store.get(&token).unwrap().get("k"), Some(&Value::Int(1)));
        assert_eq!(store.stats().unwrap().durable_commits, 0);
        store.close().unwrap();
        token
    };
    let store = Store::open(&path, config()).unwrap();
    assert_eq!(store.get(&token).unwrap().get("k"), Some(&Value::Int(1)));
}

#[test]
fn a_second_open_in_this_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path, config()).unwrap();
    let started = Instant::now();
    let err = Store::open(&path, config()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // Closing releases the file.
    store.close().unwrap();
    Store::open(&path, config()).unwrap();
}

/// Not a test on its own: the child half of the next test.
#[test]
fn child_process_opens_the_file() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    match Store::open(&path, config()) {
        Ok(_) => println!("CHILD-RESULT opened"),
        Err(e) => println!("CHILD-RESULT {} {}", e.kind(), e),
    }
}

#[test]
fn another_process_gets_locked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let _store = Store::open(&path, config()).unwrap();
    let started = Instant::now();
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_opens_the_file", "--nocapture"])
        .env(CHILD_ENV, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CHILD-RESULT"))
        .unwrap_or_else(|| panic!("the child said nothing: {stdout}"));
    assert!(line.starts_with("CHILD-RESULT locked"), "{line}");
    assert!(line.contains("shared"), "{line}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_foreign_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, vec![7u8; 10_000]).unwrap();
    let err = Store::open(&junk, config()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Corrupt | ErrorKind::Storage | ErrorKind::Io
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("open: "), "{err}");

    let other = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&other).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("orders");
            let mut t = txn.open_table(def).unwrap();
            t.insert("a", 1).unwrap();
        }
        txn.commit().unwrap();
    }
    let err = Store::open(&other, config()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(err.to_string().contains("not a coatcheck store"), "{err}");
}

#[test]
fn a_file_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    Store::open(&path, config()).unwrap().close().unwrap();
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let mut t = txn.open_table(def).unwrap();
            t.insert("coatcheck.format", 99u64.to_be_bytes().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let err = Store::open(&path, config()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(err.to_string().contains("newer"), "{err}");
}
