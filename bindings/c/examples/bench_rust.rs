//! The Rust half of `make bench-c`: the workload of `benches/c/bench.c`
//! (`get` and `set` of one session in an in-memory store) timed through the
//! core directly, so that the C ABI's overhead can be read off the ratio.

use std::time::Instant;

use engine::{data_from_json_str, Config, NewSession, Store, Value};

fn main() -> engine::Result<()> {
    let mut args = std::env::args().skip(1);
    let gets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let sets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);

    let store = Store::in_memory(Config::default().sweep_interval(None))?;
    let data = data_from_json_str(r#"{"cart": ["tea", "milk"], "theme": "dark", "n": 0}"#)?;
    let session = store.create(NewSession::default().data(data))?;
    let token = session
        .token()
        .expect("create returns the token")
        .to_owned();

    for _ in 0..gets / 10 {
        std::hint::black_box(store.get(&token)?);
    }
    let start = Instant::now();
    for _ in 0..gets {
        std::hint::black_box(store.get(&token)?);
    }
    let get_ns = start.elapsed().as_nanos() as f64 / gets as f64;

    let start = Instant::now();
    for i in 0..sets {
        store.set(&token, "n", Value::Int(i as i64 + 1))?;
    }
    let set_ns = start.elapsed().as_nanos() as f64 / sets as f64;

    println!("rust get_ns {get_ns:.1}");
    println!("rust set_ns {set_ns:.1}");
    store.close()
}
