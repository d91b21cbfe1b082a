//! `chronicle-server`: serves the Chronicle web app and its sync API from one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chronicle_server::{AppState, SqliteStore, app};

const USAGE: &str = "usage: chronicle-server [--listen ADDR] [--database FILE] [--static-dir DIR]

  --listen ADDR       address to listen on (default 127.0.0.1:8080)
  --database FILE     SQLite file for all streams (default ./data/chronicle.db)
  --static-dir DIR    the built web app, served at / (default dist)";

struct Options {
    listen: SocketAddr,
    database: PathBuf,
    static_dir: PathBuf,
}

fn options() -> Result<Options> {
    let mut options = Options {
        listen: "127.0.0.1:8080".parse()?,
        database: PathBuf::from("./data/chronicle.db"),
        static_dir: PathBuf::from("dist"),
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
            _ => bail!("unknown flag {flag}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let options = options()?;
    if let Some(parent) = options.database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let store = SqliteStore::open(&options.database)
        .with_context(|| format!("cannot open the database {}", options.database.display()))?;
    if !options.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %options.static_dir.display(), "no index.html there: only the API is served");
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    // Scripts read this line to learn the address, also when the port was 0.
    println!("Chronicle is listening on http://{}", listener.local_addr()?);
    let router = app(AppState::new(store, Some(options.static_dir)));
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
