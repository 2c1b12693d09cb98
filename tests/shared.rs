//! Shared mode: several processes on one file. Each worker is this test
//! binary run again as a child (spawned, never forked with a live store),
//! taking one command per line on stdin and answering one line on stdout,
//! so that a test can make process A log out and ask process B at once.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use coatcheck::{Config, ManualClock, NewSession, Store, Timestamp, Value};

const WORKER_ENV: &str = "COATCHECK_TEST_SHARED_PATH";
const T0: i64 = 1_800_000_000_000;
/// Starts every line a worker answers: the test harness may print on the
/// same line before it ("test worker ... ").
const MARK: &str = "@@ ";

fn shared_config(clock: &ManualClock) -> Config {
    Config::default()
        .shared(true)
        .sweep_interval(None)
        .sweep_batch(16)
        .clock(clock.clone())
}

fn answer<T>(result: coatcheck::Result<T>, ok: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => format!("ok {}", ok(value)),
        Err(e) => format!("err {}", e.kind().name()),
    }
}

/// Not a test on its own: the worker half of the tests below.
#[test]
fn worker() {
    let Ok(path) = std::env::var(WORKER_ENV) else {
        return;
    };
    let clock = ManualClock::starting_at(Timestamp::from_millis(T0));
    let store = Store::open(&path, shared_config(&clock)).unwrap();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        let reply = match words.as_slice() {
            ["clock", ms] => {
                clock.set(Timestamp::from_millis(ms.parse().unwrap()));
                "ok".to_owned()
            }
            ["create", user] => answer(store.create(NewSession::for_user(*user)), |s| {
                s.token().unwrap().to_owned()
            }),
            ["get", token] => answer(store.get(token), |s| {
                format!("{} {}", s.version(), s.user().unwrap_or("-"))
            }),
            ["peek", token] => answer(store.peek(token), |s| s.version().to_string()),
            ["logout", token] => answer(store.logout(token), |ended| ended.to_string()),
            ["login", token, user] => {
                answer(store.login(token, user), |s| s.token().unwrap().to_owned())
            }
            ["sweep"] => answer(store.sweep(), |n| n.to_string()),
            ["count"] => answer(store.count(), |n| n.to_string()),
            // Sets `n` keys (`n` = 0: until killed), one line per write it
            // acknowledged, then one line to say it is done.
            ["set_many", token, prefix, n] => {
                let n: usize = n.parse().unwrap();
                for i in 0.. {
                    if n > 0 && i == n {
                        break;
                    }
                    let key = format!("{prefix}{i}");
                    store.set(token, &key, i as i64).unwrap();
                    writeln!(out, "{MARK}ack {key}").unwrap();
                    out.flush().unwrap();
                }
                "ok done".to_owned()
            }
            other => panic!("unknown worker command {other:?}"),
        };
        writeln!(out, "{MARK}{reply}").unwrap();
        out.flush().unwrap();
    }
}

/// A worker process: commands in, one reply line out.
struct Worker {
    child: Child,
    input: ChildStdin,
    /// Its reply lines, read on a thread so that a stuck worker fails the
    /// test after a minute instead of hanging it.
    replies: mpsc::Receiver<String>,
}

impl Worker {
    fn spawn(path: &Path) -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
            .env(WORKER_ENV, path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        let (sender, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in output.lines().map_while(Result::ok) {
                if let Some(at) = line.find(MARK) {
                    let reply = line[at + MARK.len()..].trim_end().to_owned();
                    if sender.send(reply).is_err() {
                        return;
                    }
                }
            }
        });
        Worker {
            child,
            input,
            replies,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.input, "{command}").unwrap();
        self.input.flush().unwrap();
    }

    /// The next reply line (the test harness's own output skipped).
    fn line(&mut self) -> String {
        match self.replies.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the worker did not answer in 60 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the worker exited"),
        }
    }

    fn ask(&mut self, command: &str) -> String {
        self.send(command);
        self.line()
    }

    /// Reads `set_many`'s acknowledgements until its final line; the keys.
    fn acks(&mut self) -> Vec<String> {
        let mut keys = Vec::new();
        loop {
            let line = self.line();
            match line.strip_prefix("ack ") {
                Some(key) => keys.push(key.to_owned()),
                None => {
                    assert_eq!(line, "ok done");
                    return keys;
                }
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workers(path: &Path, n: usize) -> Vec<Worker> {
    (0..n).map(|_| Worker::spawn(path)).collect()
}

/// The parent's own shared store on the file (a process like the others).
fn parent_store(path: &Path) -> (Store, ManualClock) {
    let clock = ManualClock::starting_at(Timestamp::from_millis(T0));
    let store = Store::open(path, shared_config(&clock)).unwrap();
    (store, clock)
}

/// Creates a session and returns its token.
fn new_token(store: &Store, new: NewSession) -> String {
    store.create(new).unwrap().token().unwrap().to_owned()
}

fn token_of(reply: &str) -> String {
    reply
        .strip_prefix("ok ")
        .unwrap_or_else(|| panic!("expected a token, got {reply}"))
        .to_owned()
}

#[test]
fn per_key_sets_from_four_processes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (store, _) = parent_store(&path);
    let token = new_token(&store, NewSession::default());
    let mut procs = workers(&path, 4);
    for (i, w) in procs.iter_mut().enumerate() {
        w.send(&format!("set_many {token} p{i}_ 40"));
    }
    let acked: Vec<String> = procs.iter_mut().flat_map(|w| w.acks()).collect();
    assert_eq!(acked.len(), 160);
    let session = store.get(&token).unwrap();
    for key in &acked {
        assert!(session.get(key).is_some(), "{key} was lost");
    }
    assert_eq!(session.data().len(), 160);
    assert_eq!(session.version(), 160, "one version per set, none lost");
}

#[test]
fn a_logout_in_one_process_is_refused_at_once_in_every_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let mut procs = workers(&path, 3);
    let token = token_of(&procs[0].ask("create alice"));
    // Every process has read it (whatever they keep in memory is warm).
    for w in procs.iter_mut() {
        assert_eq!(w.ask(&format!("get {token}")), "ok 0 alice");
    }
    assert_eq!(procs[1].ask(&format!("logout {token}")), "ok true");
    for w in procs.iter_mut() {
        assert_eq!(w.ask(&format!("get {token}")), "err revoked");
    }
    let (store, _) = parent_store(&path);
    assert!(store.get(&token).unwrap_err().is_not_found());
}

#[test]
fn a_login_rotation_is_seen_by_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (store, _) = parent_store(&path);
    let anonymous = new_token(&store, NewSession::default().insert("cart", "tea"));
    let mut procs = workers(&path, 3);
    for w in procs.iter_mut() {
        assert!(w.ask(&format!("get {anonymous}")).starts_with("ok"));
    }
    let signed_in = token_of(&procs[2].ask(&format!("login {anonymous} bob")));
    for w in procs.iter_mut() {
        assert_eq!(w.ask(&format!("get {anonymous}")), "err revoked");
        assert_eq!(w.ask(&format!("get {signed_in}")), "ok 1 bob");
    }
    let session = store.get(&signed_in).unwrap();
    assert_eq!(session.get("cart"), Some(&Value::from("tea")));
    assert_eq!(store.sessions_of("bob").unwrap().len(), 1);
}

#[test]
fn a_process_killed_mid_write_stops_nobody_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (store, _) = parent_store(&path);
    let token = new_token(&store, NewSession::default());
    let mut victim = Worker::spawn(&path);
    let mut survivor = Worker::spawn(&path);
    // The victim writes without pause, so it is almost always inside a
    // write transaction (holding the file's writer lock) when it dies.
    victim.send(&format!("set_many {token} v 0"));
    let mut acked = Vec::new();
    while acked.len() < 40 {
        let line = victim.line();
        acked.push(line.strip_prefix("ack ").unwrap().to_owned());
    }
    victim.child.kill().unwrap(); // SIGKILL: no unwinding, no close
    victim.child.wait().unwrap();
    // The others go on writing at once.
    survivor.send(&format!("set_many {token} s 20"));
    let survived = survivor.acks();
    assert_eq!(survived.len(), 20);
    store.set(&token, "parent", true).unwrap();
    let session = store.get(&token).unwrap();
    for key in acked.iter().chain(&survived) {
        assert!(
            session.get(key).is_some(),
            "{key} was acknowledged, then lost"
        );
    }
    drop(survivor);
    store.close().unwrap();
    // The file passes redb's own integrity check.
    let mut db = redb::Database::open(&path).unwrap();
    assert!(db.check_integrity().unwrap(), "the file needed a repair");
}

#[test]
fn sweeps_from_several_processes_remove_each_expired_session_once_and_no_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (store, clock) = parent_store(&path);
    for i in 0..120 {
        store
            .create(NewSession::for_user(format!("old{}", i % 5)))
            .unwrap();
    }
    // Two hours on: the first 120 are past their idle timeout (30 min).
    let later = T0 + 2 * 3_600_000;
    clock.set(Timestamp::from_millis(later));
    let live: Vec<String> = (0..30)
        .map(|_| new_token(&store, NewSession::for_user("new")))
        .collect();
    let mut procs = workers(&path, 4);
    for w in procs.iter_mut() {
        assert_eq!(w.ask(&format!("clock {later}")), "ok");
    }
    // All four sweep at once, in batches of 16.
    for w in procs.iter_mut() {
        w.send("sweep");
    }
    let removed: usize = procs
        .iter_mut()
        .map(|w| {
            let reply = w.line();
            reply.strip_prefix("ok ").unwrap().parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(removed, 120, "each expired session removed exactly once");
    assert_eq!(store.count().unwrap(), 30);
    for token in &live {
        assert!(store.peek(token).is_ok());
    }
    assert_eq!(store.users(None, 10).unwrap(), vec!["new".to_owned()]);
}

#[test]
fn a_session_read_in_one_process_is_not_expired_or_swept_by_another_within_its_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (store, clock) = parent_store(&path);
    // Idle timeout 30 min, touch interval 3 min (a tenth).
    let token = new_token(&store, NewSession::for_user("carol"));
    let minute = 60_000;
    let mut reader = Worker::spawn(&path);
    let mut sweeper = Worker::spawn(&path);
    // Read 2 minutes in: within the touch interval, so noted in the
    // reader's memory only, invisible to the other processes.
    reader.ask(&format!("clock {}", T0 + 2 * minute));
    assert!(reader.ask(&format!("get {token}")).starts_with("ok"));
    // 31 minutes in: 29 minutes after that read, so still live. Another
    // process sweeps and reads: it must neither remove nor refuse it.
    sweeper.ask(&format!("clock {}", T0 + 31 * minute));
    assert_eq!(sweeper.ask("sweep"), "ok 0");
    assert!(sweeper.ask(&format!("peek {token}")).starts_with("ok"));
    // With no use at all since, it expires at the latest one touch interval
    // after the idle timeout: at 33 minutes.
    clock.set(Timestamp::from_millis(T0 + 33 * minute));
    assert_eq!(
        store.peek(&token).unwrap_err().kind(),
        coatcheck::ErrorKind::Expired
    );
    assert_eq!(store.sweep().unwrap(), 1);
}

#[test]
fn an_exclusive_open_beside_shared_ones_is_locked_and_names_the_shared_option() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.redb");
    let (_store, _) = parent_store(&path);
    let err = Store::open(&path, Config::default()).unwrap_err();
    assert_eq!(err.kind(), coatcheck::ErrorKind::Locked);
    assert!(err.to_string().contains("shared"), "{err}");
}

#[test]
fn periodic_durability_is_refused_in_shared_mode() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(
        dir.path().join("shared.redb"),
        Config::default()
            .shared(true)
            .durability(coatcheck::Durability::Periodic(Duration::from_millis(100))),
    )
    .unwrap_err();
    assert_eq!(err.kind(), coatcheck::ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("Periodic"), "{err}");
}
