//! `coatcheck`: look inside a session store, end sessions, sweep.
//!
//! Opens the file in shared mode (so it runs beside a server that opened
//! it shared), with the background sweeper off. Never prints a token: a
//! session is named by its public id (the SHA-256 of its token, in hex).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coatcheck::{data_to_json, Config, ErrorKind, Session, SessionId, Store};
use serde_json::json;

/// Exit codes, documented in `--help`.
const EXIT_ERROR: u8 = 1;
const EXIT_LOCKED: u8 = 3;
const EXIT_NOT_FOUND: u8 = 4;
const EXIT_CORRUPT: u8 = 5;

#[derive(Parser)]
#[command(
    name = "coatcheck",
    version,
    about = "Look inside a coatcheck session store, end sessions, sweep.",
    after_help = "The file is opened in shared mode, beside a running server that opened it \
                  shared (the Django, Flask and Starlette adapters' default). Sessions are \
                  named by their public id (64 hex digits); no command prints a token.\n\n\
                  Exit codes: 0 done; 1 error; 2 bad arguments; 3 the file is held \
                  exclusively by another process; 4 no such session or user; 5 the file is \
                  damaged or not a store."
)]
struct Cli {
    /// Print JSON (one document) instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Live sessions, users, the file's size and this process's counters.
    Stats {
        /// The store file.
        file: PathBuf,
    },
    /// Users with at least one live session, in order.
    Users {
        file: PathBuf,
        /// Start after this user (paging).
        #[arg(long)]
        after: Option<String>,
        /// At most this many users.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// The live sessions of one user, most recently used first.
    Sessions { file: PathBuf, user: String },
    /// One session by id: timestamps, lifetime, meta, data.
    Show { file: PathBuf, id: String },
    /// End one session by id, or every session of a user (reason `admin`).
    Revoke {
        file: PathBuf,
        /// The session to end.
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<String>,
        /// End every session of this user instead.
        #[arg(long)]
        user: Option<String>,
        /// With --user: keep this session (say, the admin's own).
        #[arg(long, requires = "user")]
        except: Option<String>,
    },
    /// Remove expired sessions now; prints how many.
    Sweep { file: PathBuf },
}

/// A failure with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<coatcheck::Error> for Failure {
    fn from(err: coatcheck::Error) -> Failure {
        let code = match err.kind() {
            ErrorKind::Locked => EXIT_LOCKED,
            ErrorKind::Corrupt => EXIT_CORRUPT,
            kind if err.is_not_found() || kind == ErrorKind::NotFound => EXIT_NOT_FOUND,
            _ => EXIT_ERROR,
        };
        let mut message = err.to_string();
        if code == EXIT_LOCKED {
            message.push_str(
                "\nhint: the server holds the file exclusively; open it in shared mode there \
                 too, and this command can run beside it",
            );
        }
        Failure { code, message }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("coatcheck: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn open(file: &PathBuf) -> Result<Store, Failure> {
    if !file.exists() {
        // Opening would create an empty store: not what an operator meant.
        return Err(Failure {
            code: EXIT_NOT_FOUND,
            message: format!("{} does not exist", file.display()),
        });
    }
    Ok(Store::open(
        file,
        Config::default().shared(true).sweep_interval(None),
    )?)
}

fn parse_id(id: &str) -> Result<SessionId, Failure> {
    Ok(id.parse::<SessionId>()?)
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Stats { file } => {
            let store = open(file)?;
            let stats = store.stats()?;
            if cli.json {
                print_json(&json!({
                    "sessions": stats.sessions,
                    "users": stats.users,
                    "file_bytes": stats.file_bytes,
                }));
            } else {
                print_table(
                    &["what", "value"],
                    &[
                        vec!["sessions".into(), stats.sessions.to_string()],
                        vec!["users".into(), stats.users.to_string()],
                        vec!["file bytes".into(), stats.file_bytes.to_string()],
                    ],
                );
            }
        }
        Command::Users { file, after, limit } => {
            let store = open(file)?;
            let users = store.users(after.as_deref(), *limit)?;
            if cli.json {
                print_json(&json!(users));
            } else {
                for user in users {
                    println!("{user}");
                }
            }
        }
        Command::Sessions { file, user } => {
            let store = open(file)?;
            let sessions = store.sessions_of(user)?;
            if cli.json {
                print_json(&json!(sessions
                    .iter()
                    .map(session_json)
                    .collect::<Vec<_>>()));
            } else {
                let rows: Vec<Vec<String>> = sessions
                    .iter()
                    .map(|s| {
                        vec![
                            s.id().to_string(),
                            s.last_access().to_string(),
                            s.expires_at().to_string(),
                            s.meta().label.clone().unwrap_or_default(),
                            s.meta().ip.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(&["id", "last access", "expires", "label", "ip"], &rows);
            }
        }
        Command::Show { file, id } => {
            let id = parse_id(id)?;
            let store = open(file)?;
            let session = store.info(&id)?;
            // The data is the app's; it is shown as JSON in both forms.
            print_json(&session_json(&session));
        }
        Command::Revoke {
            file,
            id,
            user,
            except,
        } => {
            let keep = except.as_deref().map(parse_id).transpose()?;
            let target = id.as_deref().map(parse_id).transpose()?;
            let store = open(file)?;
            let ended = match (target, user) {
                (Some(id), _) => usize::from(store.destroy_id(&id)?),
                (None, Some(user)) => {
                    let mut ended = 0;
                    for session in store.sessions_of(user)? {
                        if Some(session.id()) != keep && store.destroy_id(&session.id())? {
                            ended += 1;
                        }
                    }
                    ended
                }
                (None, None) => 0,
            };
            report_count(cli.json, "ended", ended);
            if ended == 0 && target.is_some() {
                return Err(Failure {
                    code: EXIT_NOT_FOUND,
                    message: "no live session has this id".into(),
                });
            }
        }
        Command::Sweep { file } => {
            let store = open(file)?;
            let removed = store.sweep()?;
            report_count(cli.json, "removed", removed);
        }
    }
    Ok(())
}

fn report_count(json: bool, what: &str, n: usize) {
    if json {
        print_json(&json!({ what: n }));
    } else {
        println!("{what} {n}");
    }
}

fn session_json(s: &Session) -> serde_json::Value {
    json!({
        "id": s.id().to_string(),
        "user": s.user(),
        "created_at": s.created_at().to_string(),
        "last_access": s.last_access().to_string(),
        "last_update": s.last_update().to_string(),
        "expires_at": s.expires_at().to_string(),
        "remember": s.remember(),
        "version": s.version(),
        "meta": {
            "ip": s.meta().ip,
            "user_agent": s.meta().user_agent,
            "label": s.meta().label,
        },
        "data": data_to_json(s.data()),
    })
}

fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("coatcheck: could not print JSON: {e}"),
    }
}

/// Columns padded to their widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}
