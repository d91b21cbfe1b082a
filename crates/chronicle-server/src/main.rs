//! `chronicle-server`: serves the Chronicle web app and its sync API from one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::http::HeaderName;
use chronicle_server::{AppState, CreateLimit, PostgresStore, SqliteStore, StoreOptions, app};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

const USAGE: &str = "usage: chronicle-server [--listen ADDR] [--database FILE|URL] [--static-dir DIR]
                        [--creates-per-minute N] [--client-ip-header NAME]

  --listen ADDR              address to listen on (default 127.0.0.1:8080)
  --database FILE|URL        SQLite file for all streams (default ./data/chronicle.db), or a
                             postgres:// URL of a PostgreSQL database several servers share;
                             the environment variable CHRONICLE_DATABASE_URL may name it
                             instead, so that a password does not show in the process list
  --static-dir DIR           the built web app, served at / (default dist)
  --creates-per-minute N     streams one client address may create per minute, after a burst
                             of the same size as the default's (default 600)
  --client-ip-header NAME    behind a trusted proxy: the header naming the client's address
                             (for example x-forwarded-for); without it, the connection's
  --max-stream-bytes N       most bytes of events one stream may hold (default 1 GiB)
  --max-connections N        connections served at once; more are closed at once (default 10000)
  --header-timeout SECONDS   a connection that has not sent a request's headers by then, idle
                             ones included, is closed (default 30)
  --refuse-larger-than N     refuse for good every push with an event of more than N bytes (a
                             server that keeps smaller events than the protocol allows; the
                             end-to-end tests use it to make one change fail)";

/// Where the streams are kept.
enum Database {
    File(PathBuf),
    Postgres(String),
}

impl Database {
    fn from(value: String) -> Database {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Database::Postgres(value)
        } else {
            Database::File(value.into())
        }
    }
}

struct Options {
    listen: SocketAddr,
    database: Database,
    static_dir: PathBuf,
    creates: CreateLimit,
    client_ip_header: Option<HeaderName>,
    store: StoreOptions,
    max_connections: usize,
    header_timeout: u64,
    refused_above: Option<usize>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        listen: "127.0.0.1:8080".parse()?,
        database: match std::env::var("CHRONICLE_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Database::from(url),
            _ => Database::File(PathBuf::from("./data/chronicle.db")),
        },
        static_dir: PathBuf::from("dist"),
        creates: CreateLimit::default(),
        client_ip_header: None,
        store: StoreOptions::default(),
        max_connections: 10_000,
        header_timeout: 30,
        refused_above: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        match flag.as_str() {
            "--listen" => {
                options.listen = value
                    .parse()
                    .with_context(|| format!("--listen: `{value}` is not an address like 127.0.0.1:8080"))?
            }
            "--database" => options.database = Database::from(value),
            "--static-dir" => options.static_dir = value.into(),
            "--creates-per-minute" => options.creates.per_minute = positive(&flag, &value)?,
            "--max-stream-bytes" => options.store.max_stream_bytes = positive(&flag, &value)?,
            "--max-connections" => options.max_connections = positive::<u32>(&flag, &value)? as usize,
            "--header-timeout" => options.header_timeout = positive(&flag, &value)?,
            "--refuse-larger-than" => options.refused_above = Some(positive(&flag, &value)?),
            "--client-ip-header" => {
                options.client_ip_header = Some(
                    HeaderName::try_from(value.as_str())
                        .with_context(|| format!("--client-ip-header: `{value}` is not a header name"))?,
                )
            }
            _ => bail!("unknown flag {flag}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

const MIGRATE_USAGE: &str = "usage: chronicle-server migrate --from FILE --to URL

Copies every stream of the SQLite database FILE (token hashes, events, seqs, byte for byte) into
the PostgreSQL database at URL (or CHRONICLE_DATABASE_URL), each stream in one transaction.
It refuses a target that holds a stream of the same id with other content, skips streams copied
by an earlier run, so it can run again after a crash, and counts every stream on both sides at
the end. Stop the servers on FILE first.";

/// `chronicle-server migrate --from FILE --to URL`.
async fn migrate() -> Result<()> {
    let mut from = None;
    let mut to = std::env::var("CHRONICLE_DATABASE_URL").ok().filter(|u| !u.is_empty());
    let mut args = std::env::args().skip(2);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{MIGRATE_USAGE}");
            return Ok(());
        }
        let value = args.next().with_context(|| format!("{flag} needs a value\n\n{MIGRATE_USAGE}"))?;
        match flag.as_str() {
            "--from" => from = Some(PathBuf::from(value)),
            "--to" => to = Some(value),
            _ => bail!("unknown flag {flag}\n\n{MIGRATE_USAGE}"),
        }
    }
    let from = from.with_context(|| format!("--from is missing\n\n{MIGRATE_USAGE}"))?;
    let to = to.with_context(|| format!("--to is missing\n\n{MIGRATE_USAGE}"))?;
    let done = chronicle_server::migrate(&from, &to).await?;
    println!(
        "Copied {} streams ({} events) from {} to {}; {} were there already. Every stream has the same head and events on both sides.",
        done.copied,
        done.events,
        from.display(),
        without_password(&to),
        done.already_there
    );
    Ok(())
}

/// A database URL as it may be shown: without its password.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A flag's value that must be a whole number from 1.
fn positive<T: std::str::FromStr + PartialOrd + From<u8>>(flag: &str, value: &str) -> Result<T> {
    value
        .parse()
        .ok()
        .filter(|n| *n >= T::from(1))
        .with_context(|| format!("{flag}: `{value}` is not a whole number from 1"))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    // What went wrong at start is one line, with its causes, not a backtrace or a panic.
    if let Err(e) = run().await {
        eprintln!("chronicle-server: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        return migrate().await;
    }
    let options = options()?;
    // Every connection and every live listener holds a file descriptor: take all the system
    // allows this process, rather than the small default, before any is needed.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed"),
        Err(e) => tracing::warn!(error = %e, "the limit on open files could not be raised"),
    }
    let state = match &options.database {
        Database::File(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let store = SqliteStore::open_with(path, options.store)
                .with_context(|| format!("cannot open the database {}", path.display()))?;
            AppState::new(store, Some(options.static_dir.clone()))
        }
        Database::Postgres(url) => {
            let store = PostgresStore::connect(url, options.store)
                .await
                .with_context(|| format!("cannot use the PostgreSQL database at {}", without_password(url)))?;
            AppState::new(store, Some(options.static_dir.clone()))
        }
    };
    if !options.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %options.static_dir.display(), "no index.html there: only the API is served");
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    // Scripts read this line to learn the address, also when the port was 0.
    println!("Chronicle is listening on http://{}", listener.local_addr()?);
    let mut state = state.with_create_limit(options.creates, options.client_ip_header);
    if let Some(bytes) = options.refused_above {
        state = state.refusing_larger_than(bytes);
    }
    let router = app(state);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let limits = ConnectionLimits {
        connections: Arc::new(Semaphore::new(options.max_connections)),
        total: options.max_connections,
        header_timeout: Duration::from_secs(options.header_timeout),
    };
    serve(listener, router, limits, stopped).await;
    Ok(())
}

/// What one connection may take.
struct ConnectionLimits {
    /// One permit per connection served; none left means the next one is closed at once.
    connections: Arc<Semaphore>,
    /// How many permits there are.
    total: usize,
    /// How long a connection may take to send a request's headers, waiting idle included.
    header_timeout: Duration,
}

/// Accepts connections until `stopped`, each served on its own task with a header-read timeout,
/// then lets the requests in flight finish (live streams are given two seconds).
async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits, mut stopped: watch::Receiver<bool>) {
    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    loop {
        let (socket, address) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "a connection could not be accepted");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.wait_for(|stop| *stop) => break,
        };
        let Ok(permit) = Arc::clone(&limits.connections).try_acquire_owned() else {
            tracing::warn!(%address, "too many connections: one closed at once");
            continue;
        };
        let Ok(service) = make.call(address).await;
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
        let mut stopping = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let connection = builder.serve_connection(TokioIo::new(socket), TowerToHyperService::new(service));
            let connection = connection.with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = async { let _ = stopping.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    // Requests in flight finish: every connection's permit comes back. Live streams stay open
    // until their clients go, so they get a moment and no more.
    let all = u32::try_from(limits.total).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(2), limits.connections.acquire_many(all)).await;
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
