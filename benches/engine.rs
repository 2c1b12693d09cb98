//! Engine benchmarks, each with its reference in the same run so that ratios
//! can be read off one report (see benches/README.md).
//!
//! `cargo bench --bench engine` (or `make bench`).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use coatcheck::http::CookieConfig;
use coatcheck::{Config, Durability, Lifetime, ManualClock, NewSession, Store};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use redb::{ReadableDatabase, TableDefinition};
use sha2::{Digest, Sha256};

const RAW: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("raw");

/// A file store; all bench sessions belong to one user, so no per-user limit.
fn file_store(dir: &tempfile::TempDir, config: Config) -> Store {
    Store::open(
        dir.path().join("bench.redb"),
        config.sweep_interval(None).max_sessions_per_user(None),
    )
    .unwrap()
}

fn token(store: &Store) -> String {
    store
        .create(
            NewSession::for_user("bench")
                .insert("cart", "three items")
                .insert("n", 7),
        )
        .unwrap()
        .token()
        .unwrap()
        .to_owned()
}

fn reads(c: &mut Criterion) {
    let mut group = c.benchmark_group("get");
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir, Config::default());
    let hot = token(&store);
    group.bench_function("coatcheck get (hot)", |b| {
        b.iter(|| black_box(store.get(black_box(&hot)).unwrap()))
    });
    // Many sessions, each read in turn: the cache and the in-memory
    // touches no longer fit in the CPU's caches.
    let many: Vec<String> = (0..if measuring() { 20_000 } else { 100 })
        .map(|_| token(&store))
        .collect();
    let mut next = 0usize;
    group.bench_function("coatcheck get (hot, 20,000 sessions in turn)", |b| {
        b.iter(|| {
            next = (next + 1) % many.len();
            black_box(store.get(black_box(&many[next])).unwrap())
        })
    });
    drop(store);

    let dir_cold = tempfile::tempdir().unwrap();
    let cold_store = file_store(&dir_cold, Config::default().cache_capacity(0));
    let cold = token(&cold_store);
    group.bench_function("coatcheck get (cold: one read transaction)", |b| {
        b.iter(|| black_box(cold_store.get(black_box(&cold)).unwrap()))
    });

    // References: a HashMap lookup plus one SHA-256 of the token, and raw
    // redb with one read transaction per get.
    let mut map = HashMap::new();
    let key: [u8; 32] = Sha256::digest(hot.as_bytes()).into();
    map.insert(key, vec![0u8; 64]);
    group.bench_function("reference: HashMap lookup + SHA-256", |b| {
        b.iter(|| {
            let key: [u8; 32] = Sha256::digest(black_box(&hot).as_bytes()).into();
            black_box(map.get(&key).map(Vec::len))
        })
    });
    let raw_dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(raw_dir.path().join("raw.redb")).unwrap();
    raw_insert(&db, &key);
    group.bench_function("reference: raw redb read transaction", |b| {
        b.iter(|| {
            let txn = db.begin_read().unwrap();
            let table = txn.open_table(RAW).unwrap();
            black_box(table.get(&key).unwrap().map(|v| v.value().len()))
        })
    });
    group.finish();
}

fn writes(c: &mut Criterion) {
    let mut group = c.benchmark_group("write");
    group.sample_size(20);
    for (name, durability) in [
        ("immediate", Durability::Immediate),
        ("periodic", Durability::Periodic(Duration::from_millis(100))),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(&dir, Config::default().durability(durability));
        group.bench_function(BenchmarkId::new("create", name), |b| {
            b.iter(|| black_box(store.create(NewSession::default().insert("n", 1)).unwrap()))
        });
        let t = token(&store);
        let mut i = 0i64;
        group.bench_function(BenchmarkId::new("set", name), |b| {
            b.iter(|| {
                i += 1;
                store.set(&t, "n", i).unwrap()
            })
        });
    }
    interleaved_durable_writes();
    let raw_dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(raw_dir.path().join("raw.redb")).unwrap();
    let mut n = 0u64;
    group.bench_function("reference: raw redb durable commit per insert", |b| {
        b.iter(|| {
            n += 1;
            raw_insert(&db, &numbered_key(n));
        })
    });
    group.finish();
}

/// The raw redb reference write: one 120-byte value, one durable commit.
fn raw_insert(db: &redb::Database, key: &[u8; 32]) {
    let txn = db.begin_write().unwrap();
    txn.open_table(RAW)
        .unwrap()
        .insert(key, [1u8; 120].as_slice())
        .unwrap();
    txn.commit().unwrap();
}

fn numbered_key(n: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&n.to_be_bytes());
    key
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A durable create and a raw redb durable commit, alternated in one loop:
/// on a disk whose fsync latency swings with other work, only pairs timed
/// side by side compare fairly. Prints the medians and their ratio.
fn interleaved_durable_writes() {
    let rounds = if measuring() { 400 } else { 5 };
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir, Config::default());
    let db = redb::Database::create(dir.path().join("raw.redb")).unwrap();
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for n in 0..rounds as u64 {
        let start = Instant::now();
        raw_insert(&db, &numbered_key(n));
        raw.push(start.elapsed());
        let start = Instant::now();
        store.create(NewSession::default().insert("n", 1)).unwrap();
        ours.push(start.elapsed());
    }
    let (ours, raw) = (median(ours), median(raw));
    println!(
        "interleaved durable writes: coatcheck create {ours:?}, raw redb commit {raw:?} (median of {rounds}); \
         coatcheck runs at {:.2}x the raw rate",
        raw.as_secs_f64() / ours.as_secs_f64()
    );
}

/// Time per create with `threads` concurrent writers (durable).
fn concurrent_creates(store: &Store, threads: usize, total: u64) -> Duration {
    let per_thread = (total as usize).div_ceil(threads);
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let store = store.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..per_thread {
                    store.create(NewSession::default()).unwrap();
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed();
    elapsed.mul_f64(total as f64 / (per_thread * threads) as f64)
}

fn group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("group commit: durable create, time per create");
    group.sample_size(10);
    for threads in [1usize, 8, 64] {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(&dir, Config::default());
        group.bench_function(
            BenchmarkId::from_parameter(format!("{threads} threads")),
            |b| {
                b.iter_custom(|iters| {
                    concurrent_creates(&store, threads, iters.max(threads as u64))
                })
            },
        );
        // Commit sharing does not depend on how busy the disk is today.
        let stats = store.stats().unwrap();
        println!(
            "group commit, {threads} threads: {} creates in {} durable commits ({:.1} per commit)",
            stats.sessions,
            stats.durable_commits,
            stats.sessions as f64 / stats.durable_commits.max(1) as f64
        );
    }
    group.finish();
}

/// `cargo test` runs each bench once, without `--bench`, in a debug build:
/// keep that quick.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn sweep(c: &mut Criterion) {
    let sessions_per_thread = if measuring() { 25_000 } else { 250 };
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("sweep 100k expired sessions", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let clock = ManualClock::new();
                let store = file_store(
                    &dir,
                    Config::default()
                        .durability(Durability::Periodic(Duration::from_secs(60)))
                        .clock(clock.clone()),
                );
                let threads: Vec<_> = (0..4)
                    .map(|_| {
                        let store = store.clone();
                        std::thread::spawn(move || {
                            for _ in 0..sessions_per_thread {
                                store
                                    .create(NewSession::default().lifetime(Lifetime::new(
                                        Duration::from_secs(60),
                                        Duration::from_secs(60),
                                    )))
                                    .unwrap();
                            }
                        })
                    })
                    .collect();
                for t in threads {
                    t.join().unwrap();
                }
                clock.advance(Duration::from_secs(120));
                let start = Instant::now();
                assert_eq!(store.sweep().unwrap(), 4 * sessions_per_thread);
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

fn web(c: &mut Criterion) {
    let mut group = c.benchmark_group("web");
    let store = Store::in_memory(Config::default().sweep_interval(None)).unwrap();
    let session = store.create(NewSession::for_user("bench")).unwrap();
    let cookies = CookieConfig {
        signed: true,
        keys: vec![b"0123456789abcdef0123456789abcdef".to_vec()],
        ..CookieConfig::default()
    };
    let set_cookie = cookies.set_cookie(&session).unwrap();
    let ours = set_cookie.split(';').next().unwrap();
    let header = format!(
        "_ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; {ours}; \
         consent=yes; _gid=GA1.2.987654321.1700000000; tz=Europe%2FLondon; \
         ab=variant-b; cart_hint=3; last_seen=1700000000"
    );
    group.bench_function(
        "parse a 10-cookie header and verify the signed session cookie",
        |b| {
            b.iter(|| {
                black_box(
                    cookies
                        .token_from_cookie_header(black_box(&header))
                        .unwrap(),
                )
            })
        },
    );
    let pair = store.issue_pair(session.token().unwrap()).unwrap();
    group.bench_function("verify_access", |b| {
        b.iter(|| black_box(store.verify_access(black_box(&pair.access)).unwrap()))
    });
    let mut refresh = store.issue_pair(session.token().unwrap()).unwrap().refresh;
    group.bench_function("refresh (in memory)", |b| {
        b.iter(|| {
            let next = store.refresh(&refresh).unwrap();
            refresh = next.refresh;
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = reads, writes, group_commit, sweep, web
}
criterion_main!(benches);
