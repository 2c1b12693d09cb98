//! A visit counter in axum, with sessions in a coatcheck file: the whole
//! change from tower-sessions' MemoryStore is the `store` line.
//!
//! `cargo run --manifest-path examples/axum/Cargo.toml`, then
//! `curl -c jar -b jar http://127.0.0.1:3000/` a few times.

use axum::{routing::get, Router};
use coatcheck::tower::CoatcheckStore;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

async fn visits(session: Session) -> String {
    let n: u64 = session.get("visits").await.ok().flatten().unwrap_or(0) + 1;
    match session.insert("visits", n).await {
        Ok(()) => format!("visit number {n}\n"),
        Err(e) => format!("could not save the session: {e}\n"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = CoatcheckStore::new(coatcheck::Store::open(
        "axum-sessions.redb",
        coatcheck::Config::default(),
    )?);
    let layer = SessionManagerLayer::new(store)
        .with_secure(false) // plain http on localhost; keep the default in production
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(30)));
    let app = Router::new().route("/", get(visits)).layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000");
    axum::serve(listener, app).await?;
    Ok(())
}
