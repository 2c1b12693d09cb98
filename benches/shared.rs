//! Shared mode against exclusive mode, in one run (see benches/README.md).
//!
//! `cargo bench --bench shared` (or `make bench-shared`):
//! - one process: hot `get`, durable `create` and durable `set`, on a file
//!   opened exclusively and on one opened shared;
//! - durable writes from 1, 2 and 4 processes on one shared file (each
//!   process one writer thread: a prefork server's workers), total writes
//!   per second and the p99 of one write; the same total from 1, 2 and 4
//!   threads of one exclusive process as the reference.
//!
//! The worker processes are this binary run again with an environment
//! variable set.

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coatcheck::{Config, NewSession, Store};
use criterion::{criterion_group, Criterion};

const WORKER_ENV: &str = "COATCHECK_BENCH_SHARED_WORKER";

fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn open(path: &Path, shared: bool) -> Store {
    // Every bench session belongs to one user: no per-user limit.
    let config = Config::default()
        .shared(shared)
        .sweep_interval(None)
        .max_sessions_per_user(None);
    Store::open(path, config).unwrap()
}

fn new_token(store: &Store) -> String {
    store
        .create(NewSession::for_user("bench").insert("cart", "three items"))
        .unwrap()
        .token()
        .unwrap()
        .to_owned()
}

fn one_process(c: &mut Criterion) {
    for shared in [false, true] {
        let mode = if shared { "shared" } else { "exclusive" };
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("bench.redb"), shared);
        let hot = new_token(&store);
        let mut group = c.benchmark_group(format!("one process, {mode}"));
        group.bench_function("get (hot)", |b| {
            b.iter(|| black_box(store.get(black_box(&hot)).unwrap()))
        });
        group.sample_size(20);
        group.bench_function("create (durable)", |b| {
            b.iter(|| black_box(new_token(&store)))
        });
        let mut n = 0i64;
        group.bench_function("set (durable)", |b| {
            b.iter(|| {
                n += 1;
                store.set(&hot, "n", n).unwrap()
            })
        });
        group.finish();
    }
}

/// A worker process: durable sets on its own session for `millis`, then
/// prints the number of writes and each write's latency in microseconds.
fn worker(path: &str, millis: u64) {
    let store = open(Path::new(path), true);
    let latencies = durable_sets(&store, millis);
    let list: Vec<String> = latencies.iter().map(u64::to_string).collect();
    println!("LATENCIES {}", list.join(","));
}

/// Durable sets on a session of its own for `millis`: each one's latency (µs).
fn durable_sets(store: &Store, millis: u64) -> Vec<u64> {
    let token = new_token(store);
    let mut latencies = Vec::new();
    let end = Instant::now() + Duration::from_millis(millis);
    let mut n = 0i64;
    while Instant::now() < end {
        n += 1;
        let start = Instant::now();
        store.set(&token, "n", n).unwrap();
        latencies.push(start.elapsed().as_micros() as u64);
    }
    latencies
}

fn p99(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() * 99 / 100).copied().unwrap_or(0)
}

/// Durable writes from `procs` processes on one shared file.
fn processes(path: &Path, procs: usize, millis: u64) -> (f64, u64) {
    // Create the file first, so that the workers race only on writes.
    drop(open(path, true));
    let children: Vec<_> = (0..procs)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .env(WORKER_ENV, format!("{}:{millis}", path.display()))
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut all = Vec::new();
    for mut child in children {
        let out = BufReader::new(child.stdout.take().unwrap());
        for line in out.lines() {
            let line = line.unwrap();
            if let Some(list) = line.strip_prefix("LATENCIES ") {
                all.extend(list.split(',').filter_map(|v| v.parse::<u64>().ok()));
            }
        }
        child.wait().unwrap();
    }
    let per_second = all.len() as f64 / (millis as f64 / 1000.0);
    (per_second, p99(all))
}

/// Durable writes from `threads` threads of one exclusive process.
fn threads(path: &Path, threads: usize, millis: u64) -> (f64, u64) {
    let store = open(path, false);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || durable_sets(&store, millis))
        })
        .collect();
    let all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let per_second = all.len() as f64 / (millis as f64 / 1000.0);
    (per_second, p99(all))
}

fn many_writers() {
    let millis = if measuring() { 3_000 } else { 100 };
    println!("\ndurable sets for {millis} ms, one session per writer:");
    println!("{:<34} {:>12} {:>10}", "writers", "writes/s", "p99 (µs)");
    let mut base = None;
    for n in [1usize, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let (rate, p) = threads(&dir.path().join("t.redb"), n, millis);
        let base = *base.get_or_insert(rate);
        println!(
            "{:<34} {:>12.0} {:>10}   ({:.2}x one exclusive writer)",
            format!("{n} thread(s), one exclusive process"),
            rate,
            p,
            rate / base
        );
        let dir = tempfile::tempdir().unwrap();
        let (rate, p) = processes(&dir.path().join("p.redb"), n, millis);
        println!(
            "{:<34} {:>12.0} {:>10}   ({:.2}x one exclusive writer)",
            format!("{n} process(es), one shared file"),
            rate,
            p,
            rate / base
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = one_process
}

fn main() {
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        let (path, millis) = spec.rsplit_once(':').unwrap();
        worker(path, millis.parse().unwrap());
        return;
    }
    benches();
    many_writers();
    Criterion::default().configure_from_args().final_summary();
}
