//! A visitor's journey through coatcheck, printed step by step.
//!
//! Run it with `make demo` (or `cargo run --example quickstart -- FILE`).
//! The store file stays behind: run it twice and the second run finds the
//! sessions the first one left.

use std::time::Duration;

use coatcheck::{Config, Lifetime, NewSession, Store, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "coatcheck-demo.redb".to_owned());
    let config = Config::default()
        .token_prefix("cc_")
        .max_sessions_per_user(Some(5));
    let store = Store::open(&path, config)?;
    println!(
        "opened {path}: {} live sessions from earlier runs",
        store.count()?
    );

    // 1. An anonymous visitor puts tea in their cart.
    let visitor = store.create(
        NewSession::default()
            .insert("cart", vec![Value::from("green tea")])
            .ip("203.0.113.7")
            .user_agent("Firefox on a laptop"),
    )?;
    let laptop = visitor.token().unwrap_or_default().to_owned();
    println!(
        "\n1. anonymous session {} with a cart",
        short(&visitor.id().to_string())
    );

    // 2. They sign in: the cart stays, the token changes (session fixation).
    let signed_in = store.login(&laptop, "alice")?;
    let old = laptop;
    let laptop = signed_in.token().unwrap_or_default().to_owned();
    println!(
        "2. login as alice keeps the cart {} under a new id {}",
        store
            .get(&laptop)?
            .get("cart")
            .map(|cart| cart.to_json().to_string())
            .unwrap_or_default(),
        short(&signed_in.id().to_string())
    );
    match store.get(&old) {
        Err(e) => println!("   the old token is refused: {e}"),
        Ok(_) => println!("   BUG: the old token still works"),
    }

    // 3. A second device.
    let phone = store.create(
        NewSession::for_user("alice")
            .user_agent("Safari on a phone")
            .label("Alice's phone")
            .remember(true),
    )?;
    let phone_token = phone.token().unwrap_or_default().to_owned();
    println!(
        "3. a phone signs in with \"keep me signed in\" until {}",
        phone.expires_at()
    );

    // 4. "Your devices".
    println!("4. alice's sessions:");
    for s in store.sessions_of("alice")? {
        println!(
            "   {}  {:<22} last seen {}",
            short(&s.id().to_string()),
            s.meta().user_agent.as_deref().unwrap_or("?"),
            s.last_access()
        );
    }

    // 5. A flash message is read once.
    store.flash(&laptop, "notice", "Your order is on its way")?;
    let first = store.take_flash(&laptop)?;
    let second = store.take_flash(&laptop)?;
    println!(
        "5. flash: first read {:?}, second read {} values",
        first.get("notice").and_then(Value::as_str),
        second.len()
    );

    // 6. Log out the other devices, keep this one.
    let ended = store.destroy_user_except("alice", &signed_in.id())?;
    println!("6. logged out {ended} other device(s) of alice");
    match store.get(&phone_token) {
        Err(e) => println!("   the phone now sees: {e}"),
        Ok(_) => println!("   BUG: the phone is still signed in"),
    }

    // 7. A kiosk session with a one-second idle timeout expires and is swept.
    let kiosk = store.create(NewSession::default().lifetime(Lifetime::new(
        Duration::from_secs(1),
        Duration::from_secs(60),
    )))?;
    let kiosk_token = kiosk.token().unwrap_or_default().to_owned();
    std::thread::sleep(Duration::from_millis(1100));
    match store.get(&kiosk_token) {
        Err(e) => println!("7. after a second idle, the kiosk session: {e}"),
        Ok(_) => println!("7. BUG: the kiosk session outlived its idle timeout"),
    }
    let swept = store.sweep()?;
    println!("   sweep removed {swept} expired session(s)");
    match store.get(&kiosk_token) {
        Err(e) => println!("   and now: {e}"),
        Ok(_) => println!("   BUG: the swept session came back"),
    }

    // 8. Stats.
    let stats = store.stats()?;
    println!(
        "\n8. stats: {} live sessions, {} users, {} KiB on disk, {} commits ({} durable), \
         {} swept, cache {} hits / {} misses",
        stats.sessions,
        stats.users,
        stats.file_bytes / 1024,
        stats.commits,
        stats.durable_commits,
        stats.sessions_swept,
        stats.cache_hits,
        stats.cache_misses
    );
    store.close()?;
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
