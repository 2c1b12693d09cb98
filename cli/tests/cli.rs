//! The `coatcheck` command run as a user would, on a real file, beside a
//! live store that has it open in shared mode.

use assert_cmd::Command;
use coatcheck::{Clock, Config, NewSession, Store};

fn coatcheck() -> Command {
    Command::cargo_bin("coatcheck").unwrap()
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A server's store, live, shared; two users with sessions.
fn live_store(dir: &tempfile::TempDir) -> (Store, std::path::PathBuf, Vec<String>) {
    let path = dir.path().join("sessions.redb");
    let store = Store::open(&path, Config::default().shared(true).sweep_interval(None)).unwrap();
    let tokens: Vec<String> = ["alice", "alice", "bob"]
        .iter()
        .map(|user| {
            store
                .create(
                    NewSession::for_user(*user)
                        .insert("cart", "tea")
                        .label("laptop"),
                )
                .unwrap()
                .token()
                .unwrap()
                .to_owned()
        })
        .collect();
    (store, path, tokens)
}

#[test]
fn stats_users_and_sessions_list_what_a_live_server_stored_without_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path, tokens) = live_store(&dir);

    let stats: serde_json::Value =
        serde_json::from_str(&stdout(coatcheck().args(["--json", "stats"]).arg(&path))).unwrap();
    assert_eq!(stats["sessions"], 3);
    assert_eq!(stats["users"], 2);

    let users = stdout(coatcheck().arg("users").arg(&path));
    assert_eq!(users, "alice\nbob\n");

    let table = stdout(coatcheck().arg("sessions").arg(&path).arg("alice"));
    assert!(table.starts_with("id "), "{table}");
    assert_eq!(table.lines().count(), 3, "a header and two sessions");
    assert!(table.contains("laptop"));
    for token in &tokens {
        assert!(!table.contains(token.as_str()), "a token was printed");
    }
    store.close().unwrap();
}

#[test]
fn show_prints_one_session_with_its_data_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path, tokens) = live_store(&dir);
    let id = store.peek(&tokens[2]).unwrap().id().to_string();
    let shown: serde_json::Value =
        serde_json::from_str(&stdout(coatcheck().arg("show").arg(&path).arg(&id))).unwrap();
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["user"], "bob");
    assert_eq!(shown["data"]["cart"], "tea");
    assert_eq!(shown["meta"]["label"], "laptop");
    assert!(!shown.to_string().contains(tokens[2].as_str()));
}

#[test]
fn revoke_by_id_ends_the_session_for_the_live_server_with_reason_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path, tokens) = live_store(&dir);
    let id = store.peek(&tokens[0]).unwrap().id().to_string();
    assert_eq!(
        stdout(coatcheck().arg("revoke").arg(&path).arg(&id)),
        "ended 1\n"
    );
    let err = store.get(&tokens[0]).unwrap_err();
    assert_eq!(err.kind(), coatcheck::ErrorKind::Revoked);
    assert!(err.to_string().contains("admin"), "{err}");
    // Once more: nothing to end, exit code 4.
    coatcheck()
        .arg("revoke")
        .arg(&path)
        .arg(&id)
        .assert()
        .code(4);
}

#[test]
fn revoke_a_user_except_one_session() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path, tokens) = live_store(&dir);
    let keep = store.peek(&tokens[1]).unwrap().id().to_string();
    assert_eq!(
        stdout(
            coatcheck()
                .args(["--json", "revoke"])
                .arg(&path)
                .args(["--user", "alice", "--except"])
                .arg(&keep)
        )
        .trim(),
        "{\n  \"ended\": 1\n}"
    );
    assert!(store.get(&tokens[0]).is_err());
    assert!(store.get(&tokens[1]).is_ok());
    assert!(
        store.get(&tokens[2]).is_ok(),
        "another user's session stays"
    );
}

#[test]
fn sweep_removes_expired_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.redb");
    {
        // Sessions that expired long ago: created on a clock 2 days back.
        let past = coatcheck::ManualClock::starting_at(coatcheck::Timestamp::from_millis(
            coatcheck::SystemClock.now().as_millis() - 2 * 86_400_000,
        ));
        let store = Store::open(&path, Config::default().sweep_interval(None).clock(past)).unwrap();
        for _ in 0..3 {
            store.create(NewSession::default()).unwrap();
        }
        store.close().unwrap();
    }
    assert_eq!(stdout(coatcheck().arg("sweep").arg(&path)), "removed 3\n");
    assert_eq!(stdout(coatcheck().arg("sweep").arg(&path)), "removed 0\n");
}

#[test]
fn a_file_held_exclusively_is_exit_code_3_and_names_shared_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.redb");
    let _server = Store::open(&path, Config::default().sweep_interval(None)).unwrap();
    let out = coatcheck().arg("stats").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shared"), "{stderr}");
}

#[test]
fn bad_input_is_a_clear_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.redb");
    let out = coatcheck().arg("stats").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(!missing.exists(), "a missing file must not be created");

    let (_store, path, _) = live_store(&dir);
    let out = coatcheck()
        .arg("show")
        .arg(&path)
        .arg("not-an-id")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));
    coatcheck().arg("revoke").arg(&path).assert().code(2);
}
#[test]
fn a_damaged_file_is_exit_code_5() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.redb");
    std::fs::write(&path, b"this is not a session store, just some text").unwrap();
    coatcheck().arg("stats").arg(&path).assert().code(5);
}
