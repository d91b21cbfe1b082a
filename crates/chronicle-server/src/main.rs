//! `chronicle-server`: serves the Chronicle web app and its sync API from one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::http::HeaderName;
use chronicle_server::{AppState, CreateLimit, SqliteStore, StoreOptions, app};

const USAGE: &str = "usage: chronicle-server [--listen ADDR] [--database FILE] [--static-dir DIR]
                        [--creates-per-minute N] [--client-ip-header NAME]

  --listen ADDR              address to listen on (default 127.0.0.1:8080)
  --database FILE            SQLite file for all streams (default ./data/chronicle.db)
  --static-dir DIR           the built web app, served at / (default dist)
  --creates-per-minute N     streams one client address may create per minute, after a burst
                             of the same size as the default's (default 600)
  --client-ip-header NAME    behind a trusted proxy: the header naming the client's address
                             (for example x-forwarded-for); without it, the connection's
  --max-stream-bytes N       most bytes of events one stream may hold (default 1 GiB)";

struct Options {
    listen: SocketAddr,
    database: PathBuf,
    static_dir: PathBuf,
    creates: CreateLimit,
    client_ip_header: Option<HeaderName>,
    store: StoreOptions,
}

fn options() -> Result<Options> {
    let mut options = Options {
        listen: "127.0.0.1:8080".parse()?,
        database: PathBuf::from("./data/chronicle.db"),
        static_dir: PathBuf::from("dist"),
        creates: CreateLimit::default(),
        client_ip_header: None,
        store: StoreOptions::default(),
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
            "--database" => options.database = value.into(),
            "--static-dir" => options.static_dir = value.into(),
            "--creates-per-minute" => options.creates.per_minute = positive(&flag, &value)?,
            "--max-stream-bytes" => options.store.max_stream_bytes = positive(&flag, &value)?,
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

/// A flag's value that must be a whole number from 1.
fn positive<T: std::str::FromStr + PartialOrd + From<u8>>(flag: &str, value: &str) -> Result<T> {
    value
        .parse()
        .ok()
        .filter(|n| *n >= T::from(1))
        .with_context(|| format!("{flag}: `{value}` is not a whole number from 1"))
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let options = options()?;
    if let Some(parent) = options.database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let store = SqliteStore::open_with(&options.database, options.store)
        .with_context(|| format!("cannot open the database {}", options.database.display()))?;
    if !options.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %options.static_dir.display(), "no index.html there: only the API is served");
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    // Scripts read this line to learn the address, also when the port was 0.
    println!("Chronicle is listening on http://{}", listener.local_addr()?);
    let state =
        AppState::new(store, Some(options.static_dir)).with_create_limit(options.creates, options.client_ip_header);
    let router = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let mut graceful = stopped.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|stop| *stop).await;
    });
    let mut deadline = stopped;
    tokio::select! {
        result = server => result?,
        // Live streams stay open until their clients go; give them a moment, then stop anyway.
        _ = async move {
            let _ = deadline.wait_for(|stop| *stop).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        } => {}
    }
    Ok(())
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
