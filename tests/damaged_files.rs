//! The damaged-file matrix: copies of a store file, damaged in many ways,
//! on a cleanly closed file and on one whose process died with the store
//! open. Whatever the damage, every call gives a clear error or correct
//! data: never a panic, never another session's data, never altered data.
//!
//! `COATCHECK_DAMAGE_ROUNDS=N` multiplies the random variants (default 1,
//! a few seconds; `make fault-matrix` runs 40).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use coatcheck::{Config, Data, ManualClock, NewSession, Store, Timestamp, Value};

const PAGE: usize = 4096;

struct Original {
    /// token → (user, data)
    sessions: HashMap<String, (Option<String>, Data)>,
    clean: Vec<u8>,
    crashed: Vec<u8>,
}

fn clock() -> ManualClock {
    ManualClock::starting_at(Timestamp::from_millis(1_800_000_000_000))
}

fn config() -> Config {
    Config::default().sweep_interval(None).clock(clock())
}

fn populate(store: &Store, sessions: &mut HashMap<String, (Option<String>, Data)>, n: usize) {
    for i in 0..n {
        let user = (i % 3 != 0).then(|| format!("user-{}", i % 5));
        let mut new = NewSession::default()
            .insert("n", i as i64)
            .insert("name", format!("session number {i} with some text"));
        if let Some(user) = &user {
            new = new.user(user.clone());
        }
        let session = store.create(new).unwrap();
        let token = session.token().unwrap().to_owned();
        sessions.insert(token, (user, session.data().clone()));
    }
}

fn original(dir: &Path) -> Original {
    let mut sessions = HashMap::new();
    let path = dir.join("clean.redb");
    let store = Store::open(&path, config()).unwrap();
    populate(&store, &mut sessions, 60);
    store.close().unwrap();
    let clean = std::fs::read(&path).unwrap();

    // A crashed file: the image of a file whose store is still open
    // (every write acknowledged, nothing closed), as SIGKILL leaves it.
    let path = dir.join("crashed.redb");
    let store = Store::open(&path, config()).unwrap();
    let mut crashed_sessions = HashMap::new();
    populate(&store, &mut crashed_sessions, 60);
    let crashed = std::fs::read(&path).unwrap();
    store.close().unwrap();
    // Same content, other tokens: check each image against its own.
    sessions.extend(crashed_sessions);
    Original {
        sessions,
        clean,
        crashed,
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The damaged variants of one image: (name, bytes).
fn variants(image: &[u8], rounds: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let pages = image.len().div_ceil(PAGE);
    for cut in [
        1,
        100,
        511,
        512,
        4095,
        PAGE,
        image.len() / 2,
        image.len() - 1,
    ] {
        out.push((
            format!("truncated to {cut}"),
            image[..cut.min(image.len())].to_vec(),
        ));
    }
    for _ in 0..12 * rounds {
        let mut bytes = image.to_vec();
        let at = rng.below(PAGE.min(bytes.len()));
        let bit = rng.below(8);
        bytes[at] ^= 1 << bit;
        out.push((format!("header byte {at} bit {bit} flipped"), bytes));
    }
    for round in 0..3 * rounds {
        let mut bytes = image.to_vec();
        for page in 0..pages {
            let at = page * PAGE + rng.below(PAGE);
            if at < bytes.len() {
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        out.push((format!("one byte per page flipped (round {round})"), bytes));
    }
    for page in 0..pages {
        for _ in 0..rounds {
            let mut bytes = image.to_vec();
            let end = ((page + 1) * PAGE).min(bytes.len());
            for b in &mut bytes[page * PAGE..end] {
                *b = rng.next() as u8;
            }
            out.push((format!("page {page} replaced by noise"), bytes));
        }
    }
    out
}

/// Every call on a damaged file: a clear error or correct data.
fn exercise(path: &Path, original: &Original) -> Result<(), String> {
    let store = match Store::open(path, config()) {
        Ok(store) => store,
        Err(err) => {
            let text = err.to_string();
            return if text.starts_with("open: ") {
                Ok(())
            } else {
                Err(format!("open error without the operation: {text}"))
            };
        }
    };
    let _ = store.check();
    for (token, (user, data)) in &original.sessions {
        if let Ok(session) = store.peek(token) {
            if session.data() != data || session.user() != user.as_deref() {
                return Err(format!(
                    "peek returned altered data: {:?} / {:?}",
                    session.user(),
                    session.data()
                ));
            }
        }
        if let Ok(session) = store.get(token) {
            if session.data() != data || session.user() != user.as_deref() {
                return Err("get returned altered data".into());
            }
        }
    }
    for u in 0..5 {
        let user = format!("user-{u}");
        if let Ok(sessions) = store.sessions_of(&user) {
            for session in sessions {
                if session.user() != Some(user.as_str()) {
                    return Err(format!(
                        "sessions_of({user}) returned another user's session"
                    ));
                }
            }
        }
    }
    let _ = store.users(None, 100);
    let _ = store.count();
    let _ = store.count_users();
    let _ = store.stats();
    let _ = store.sweep();
    // Writes on a damaged file: an error or a working session.
    if let Ok(session) = store.create(NewSession::default().insert("after", true)) {
        let token = session.token().unwrap_or_default().to_owned();
        if let Ok(back) = store.get(&token) {
            if back.get("after") != Some(&Value::Bool(true)) {
                return Err("a session written after the damage came back altered".into());
            }
        }
    }
    for token in original.sessions.keys().take(5) {
        let _ = store.set(token, "later", 1);
    }
    let _ = store.close();
    Ok(())
}

#[test]
fn a_damaged_file_gives_clear_errors_or_correct_data_never_a_panic() {
    let rounds: usize = std::env::var("COATCHECK_DAMAGE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let original = original(dir.path());
    let mut failures = Vec::new();
    let mut tried = 0;
    for (image_name, image) in [("clean", &original.clean), ("crashed", &original.crashed)] {
        for (name, bytes) in variants(image, rounds, 0x5eed_0001 + image.len() as u64) {
            tried += 1;
            let path = dir.path().join("damaged.redb");
            std::fs::write(&path, &bytes).unwrap();
            match catch_unwind(AssertUnwindSafe(|| exercise(&path, &original))) {
                Ok(Ok(())) => {}
                Ok(Err(wrong)) => failures.push(format!("{image_name}, {name}: {wrong}")),
                Err(_) => failures.push(format!("{image_name}, {name}: PANIC")),
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} damaged files misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_flipped_byte_inside_a_record_is_corrupt_for_that_session_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path, config()).unwrap();
    let mut tokens = Vec::new();
    for i in 0..20 {
        let session = store
            .create(NewSession::default().insert("text", format!("marker-{i:03}-abcdefghijklmnop")))
            .unwrap();
        tokens.push(session.token().unwrap().to_owned());
    }
    store.close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = b"marker-007-abcdefghijklmnop";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the record is in the file");
    bytes[at + 8] ^= 0x01; // "marker-007" → "marker-006": plausible, and wrong
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&path, config()).unwrap();
    let err = store.get(&tokens[7]).unwrap_err();
    assert_eq!(err.kind(), coatcheck::ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().starts_with("get: corrupt store:"), "{err}");
    for (i, token) in tokens.iter().enumerate().filter(|(i, _)| *i != 7) {
        let session = store.get(token).unwrap();
        assert_eq!(
            session.get("text"),
            Some(&Value::from(format!("marker-{i:03}-abcdefghijklmnop")))
        );
    }
}

#[test]
fn a_file_that_is_not_a_store_is_corrupt_and_an_empty_file_is_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut random = vec![0u8; 3 * PAGE];
    let mut rng = Rng(42);
    for b in &mut random {
        *b = rng.next() as u8;
    }
    let mut wrong_magic = {
        let path = dir.path().join("real.redb");
        Store::open(&path, config()).unwrap().close().unwrap();
        std::fs::read(&path).unwrap()
    };
    wrong_magic[0] ^= 0xff;
    let cases: [(&str, Vec<u8>); 4] = [
        ("text", b"name,email\nada,ada@example.com\n".repeat(100)),
        ("random bytes", random),
        ("a wrong magic number", wrong_magic),
        ("a short file", b"hello".to_vec()),
    ];
    for (what, bytes) in cases {
        let path = dir.path().join("foreign.redb");
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path, config()).unwrap_err();
        assert_eq!(err.kind(), coatcheck::ErrorKind::Corrupt, "{what}: {err}");
        assert!(
            err.to_string().contains("not a coatcheck store"),
            "{what}: {err}"
        );
        // Nothing changed.
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{what}");
    }
    let empty = dir.path().join("empty.redb");
    std::fs::write(&empty, b"").unwrap();
    let store = Store::open(&empty, config()).unwrap();
    assert_eq!(store.count().unwrap(), 0);
    store.create(NewSession::default()).unwrap();
}

#[test]
fn check_reports_a_damaged_record_by_id_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path, config()).unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let session = store
            .create(
                NewSession::for_user(format!("u{}", i % 3))
                    .insert("text", format!("rec-{i:02}-padding-padding")),
            )
            .unwrap();
        ids.push(session.id());
    }
    let sound = store.check().unwrap();
    assert!(sound.is_ok(), "{sound:?}");
    assert_eq!(
        (sound.sessions, sound.ended, sound.damaged_records),
        (10, 0, 0)
    );
    store.close().unwrap();

    let mut bytes = std::fs::read(&path).unwrap();
    let needle = b"rec-04-padding-padding";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at + 5] ^= 0x02;
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&path, config()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let report = store.check().unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.damaged_records, 1, "{report:?}");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&ids[4].to_string())),
        "{report:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "check changed the file"
    );
}

#[test]
fn repair_salvages_every_intact_session_of_a_file_that_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let original = original(dir.path());
    let sound = dir.path().join("sound.redb");
    std::fs::write(&sound, &original.clean).unwrap();
    let report = Store::repair(&sound, config()).unwrap();
    assert!(
        report.was_sound && report.damaged_copy.is_none(),
        "{report:?}"
    );

    let mut repaired_unopenable = 0;
    let pages = original.crashed.len().div_ceil(PAGE);
    for page in 0..pages {
        let mut bytes = original.crashed.clone();
        let end = ((page + 1) * PAGE).min(bytes.len());
        let mut rng = Rng(page as u64 + 1);
        for b in &mut bytes[page * PAGE..end] {
            *b = rng.next() as u8;
        }
        let path = dir.path().join(format!("noise-{page}.redb"));
        std::fs::write(&path, &bytes).unwrap();
        let opened = Store::open(&path, config()).map(|s| s.close());
        let report = Store::repair(&path, config()).unwrap();
        if opened.is_err() {
            repaired_unopenable += 1;
            assert!(!report.was_sound);
        }
        if let Some(copy) = &report.damaged_copy {
            assert_eq!(
                &std::fs::read(copy).unwrap(),
                &bytes,
                "the original is kept as it was"
            );
        }
        let store = Store::open(&path, config()).unwrap();
        assert!(store.check().unwrap().is_ok());
        let mut back = 0;
        for (token, (user, data)) in &original.sessions {
            if let Ok(session) = store.get(token) {
                assert_eq!((session.user(), session.data()), (user.as_deref(), data));
                back += 1;
            }
        }
        // A noise page holds a few dozen records at most.
        assert!(back >= 40, "page {page}: only {back} sessions back");
        store.create(NewSession::default()).unwrap();
        store.close().unwrap();
    }
    assert!(
        repaired_unopenable > 0,
        "no noise page made the file unopenable"
    );
}
