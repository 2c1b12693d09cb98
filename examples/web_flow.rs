//! Requests simulated as header strings: a login that sets a signed cookie,
//! a form post with a CSRF token (accepted) and one without (rejected), a
//! mobile client with a token pair that refreshes, and a thief replaying
//! the old refresh token (the session dies).
//!
//! `cargo run --example web_flow`

use std::time::Duration;

use coatcheck::http::{token_from_authorization, CookieConfig};
use coatcheck::{Config, ManualClock, NewSession, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new();
    let store = Store::in_memory(Config::default().token_prefix("cc_").clock(clock.clone()))?;
    let cookies = CookieConfig {
        signed: true,
        keys: vec![b"change me: 32+ random bytes from your secret store".to_vec()],
        ..CookieConfig::default()
    };

    // GET /login — an anonymous session, and a CSRF token in the form.
    let visitor =
        store.create(NewSession::default().insert("cart", vec![coatcheck::Value::from(1)]))?;
    let set_cookie = cookies.set_cookie(&visitor)?;
    println!("GET /login\n  -> Set-Cookie: {set_cookie}");
    let browser_cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let token = cookies
        .token_from_cookie_header(&browser_cookie)
        .ok_or("the cookie we just set did not parse")?;
    let form_csrf = store.csrf_token(&token)?;

    // POST /login with the CSRF field: accepted, the token is renewed.
    println!(
        "POST /login  Cookie: {}…  csrf={}…",
        &browser_cookie[..20],
        &form_csrf[..12]
    );
    if !store.verify_csrf(&token, &form_csrf)? {
        return Err("a genuine CSRF token was refused".into());
    }
    let signed_in = store.login(&token, "ada")?;
    let set_cookie = cookies.set_cookie(&signed_in)?;
    println!("  -> 303, Set-Cookie: {set_cookie}");
    let browser_cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let token = cookies
        .token_from_cookie_header(&browser_cookie)
        .ok_or("cookie did not parse")?;

    // POST /transfer without a CSRF token (a forged cross-site form): refused.
    let forged = store.verify_csrf(&token, "")?;
    println!(
        "POST /transfer with no CSRF field -> {}",
        if forged { "200 (BUG)" } else { "403 Forbidden" }
    );
    // The old pre-login CSRF token died with the old session token.
    let stale = store.verify_csrf(&token, &form_csrf)?;
    println!(
        "POST /transfer with the pre-login CSRF token -> {}",
        if stale { "200 (BUG)" } else { "403 Forbidden" }
    );
    let fresh = store.csrf_token(&token)?;
    println!(
        "POST /transfer with a fresh CSRF token -> {}",
        if store.verify_csrf(&token, &fresh)? {
            "200 OK"
        } else {
            "403 (BUG)"
        }
    );

    // A mobile app signs in and gets a token pair.
    let app = store.create(NewSession::for_user("ada").label("Ada's phone"))?;
    let pair = store.issue_pair(app.token().unwrap_or_default())?;
    println!(
        "\nPOST /api/token -> access (JWT, until {}), refresh",
        pair.access_expires_at
    );
    let authorization = format!("Bearer {}", pair.access);
    let access = token_from_authorization(&authorization).ok_or("no bearer token")?;
    println!(
        "GET /api/me  Authorization: Bearer … -> user {:?}",
        store.verify_access(access)?.user()
    );

    // 16 minutes later the access token has expired: the app refreshes.
    clock.advance(Duration::from_secs(16 * 60));
    match store.verify_access(access) {
        Err(e) => println!("GET /api/me after 16 min -> 401 ({e})"),
        Ok(_) => println!("GET /api/me after 16 min -> 200 (BUG)"),
    }
    let next = store.refresh(&pair.refresh)?;
    println!("POST /api/refresh -> a new pair; the old refresh token is spent");
    println!(
        "GET /api/me with the new access token -> user {:?}",
        store.verify_access(&next.access)?.user()
    );

    // A thief who copied the first refresh token replays it a minute later.
    clock.advance(Duration::from_secs(60));
    match store.refresh(&pair.refresh) {
        Err(e) => println!("\nthief: POST /api/refresh with the spent token -> {e}"),
        Ok(_) => println!("\nthief: refresh succeeded (BUG)"),
    }
    match store.verify_access(&next.access) {
        Err(e) => println!("the app's own tokens now: {e}"),
        Ok(_) => println!("the app's own tokens still work (BUG)"),
    }
    println!(
        "the browser session is untouched: {:?}",
        store.get(&token)?.user()
    );
    Ok(())
}
