//! Nothing acknowledged is lost when the process dies: a child process
//! writes sessions and reports each acknowledged write; the test kills it
//! with SIGKILL mid-stream, reopens the file, and finds every one.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use coatcheck::{Config, Durability, NewSession, Store, Value};

const CHILD_ENV: &str = "COATCHECK_TEST_CRASH_PATH";
const MODE_ENV: &str = "COATCHECK_TEST_CRASH_MODE";

/// Not a test on its own: the writer half of the tests below. It writes
/// until it is killed, printing `ACK <token>` after each acknowledged write.
#[test]
fn child_writes_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let durability = match std::env::var(MODE_ENV).as_deref() {
        Ok("periodic") => Durability::Periodic(std::time::Duration::from_millis(20)),
        _ => Durability::Immediate,
    };
    let store = Store::open(&path, Config::default().durability(durability)).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0i64.. {
        let token = store
            .create(NewSession::for_user(format!("u{}", i % 7)).insert("i", i))
            .unwrap()
            .token()
            .unwrap()
            .to_owned();
        store.set(&token, "done", true).unwrap();
        writeln!(out, "ACK {token}").unwrap();
        out.flush().unwrap();
    }
}

/// Runs the writer, kills it after `acks` acknowledged writes, and returns
/// the acknowledged tokens.
fn run_and_kill(path: &std::path::Path, mode: &str, acks: usize) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writes_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut tokens = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(token) = line.strip_prefix("ACK ") {
            tokens.push(token.to_owned());
            if tokens.len() == acks {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush, no close
    child.wait().unwrap();
    assert_eq!(tokens.len(), acks, "the writer stopped early");
    tokens
}

#[test]
fn every_acknowledged_write_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let acked = run_and_kill(&path, "immediate", 60);
    let store = Store::open(&path, Config::default().sweep_interval(None)).unwrap();
    for token in &acked {
        let session = store.get(token).unwrap();
        assert_eq!(session.get("done"), Some(&Value::Bool(true)));
    }
    // The indexes agree with the records that survived.
    let listed: usize = (0..7)
        .map(|u| store.sessions_of(&format!("u{u}")).unwrap().len())
        .sum();
    assert_eq!(listed as u64, store.count().unwrap());
    assert!(store.count().unwrap() >= acked.len() as u64);
}

#[test]
fn a_kill_under_periodic_durability_leaves_a_consistent_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let acked = run_and_kill(&path, "periodic", 60);
    // Writes of the last interval may be gone; the file opens, and what is
    // there is whole: a session, if present, has its data.
    let store = Store::open(&path, Config::default().sweep_interval(None)).unwrap();
    for token in &acked {
        match store.get(token) {
            Ok(session) => assert!(session.get("i").is_some()),
            Err(e) => assert!(e.is_not_found(), "{e}"),
        }
    }
    let listed: usize = (0..7)
        .map(|u| store.sessions_of(&format!("u{u}")).unwrap().len())
        .sum();
    assert_eq!(listed as u64, store.count().unwrap());
}
