//! `cargo xtask run | test | bench`: installs what is missing, then builds, serves, tests or measures.
//!
//! Every install is checked first ("is the right version already there?"), so running a command
//! twice costs nothing the second time, and a fresh Debian machine with rustup, cargo and npm
//! needs nothing else.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result, bail};

mod postgres;

const TRUNK: &str = "0.21.14";
const WASM_BINDGEN: &str = "0.2.130";
const MACHETE: &str = "0.9.2";
/// geckodriver, which drives Firefox in the end-to-end tests (its npm package downloads a binary).
const GECKODRIVER: &str = "0.37.1";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Inputs each fuzz test tries under `cargo xtask fuzz` (the test suite tries a few hundred).
const FUZZ_CASES: u32 = 20_000;
/// Hard kills of the server under `cargo xtask fuzz` (the test suite does three).
const KILL_RUNS: u32 = 30;

fn main() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("test") => test(&root),
        Some("bench") => bench(&root),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        _ => {
            eprintln!("usage: cargo xtask <run | test | bench | fuzz [CASES]>");
            eprintln!(
                "  run    install what is missing, build the app and the server, serve both on http://127.0.0.1:8080"
            );
            eprintln!("  test   install what is missing, then fmt, clippy, native, wasm and end-to-end tests");
            eprintln!(
                "  bench  measure replay, IndexedDB appends, server ingest, soak, catch-up, cold start and app size"
            );
            eprintln!(
                "  fuzz   throw CASES (default {FUZZ_CASES}) random inputs at every endpoint and every decoder, \
                 and kill the server {KILL_RUNS} times during push storms"
            );
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the project root").to_path_buf()
}

fn run(root: &Path) -> Result<()> {
    ensure_build_tools(root)?;
    step("release build of the app", build_app(root))?;
    step("release build of the server", cargo(&["build", "--release", "-p", "chronicle-server"]))?;
    println!("Serving Chronicle and its sync API on http://127.0.0.1:8080 (Ctrl-C stops it; data in ./data)");
    let server = root.join("target/release/chronicle-server");
    let status = Command::new(server)
        .args(["--listen", "127.0.0.1:8080", "--database", "data/chronicle.db", "--static-dir"])
        .arg(root.join("dist"))
        .status()?;
    step("chronicle-server", Ok(status))
}

fn test(root: &Path) -> Result<()> {
    ensure_build_tools(root)?;
    ensure_browser()?;
    ensure_other_engines()?;
    ensure_machete()?;
    step("cargo fmt --check", cargo(&["fmt", "--all", "--check"]))?;
    step("no unused dependencies (cargo machete)", Ok(Command::new("cargo-machete").status()?))?;
    step("clippy (native)", cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step(
        "clippy (wasm)",
        cargo(&[
            "clippy",
            "-p",
            "chronicle",
            "--target",
            WASM_TARGET,
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    let mut tally = Tally::default();
    // The server's tests need a PostgreSQL: the one CHRONICLE_TEST_POSTGRES names, or a throwaway
    // one started here and removed when the tests are done, passed or not.
    let throwaway = match env::var("CHRONICLE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => None,
        _ => Some(postgres::Postgres::start(false)?),
    };
    let postgres = match &throwaway {
        Some(throwaway) => throwaway.url.clone(),
        None => env::var("CHRONICLE_TEST_POSTGRES")?,
    };
    // The certificate authority of a cluster that takes TLS connections too, for the TLS test.
    let authority = match &throwaway {
        Some(throwaway) => throwaway.ca.display().to_string(),
        None => env::var("CHRONICLE_TEST_POSTGRES_CA").unwrap_or_default(),
    };
    step(
        "native tests",
        tally.run(
            Command::new("cargo")
                .args(["test", "--workspace", "--tests"])
                .env("CHRONICLE_TEST_POSTGRES", &postgres)
                .env("CHRONICLE_TEST_POSTGRES_CA", &authority),
        ),
    )?;
    step(
        "the server's tests again, on PostgreSQL",
        tally.run(
            Command::new("cargo")
                .args(["test", "-p", "chronicle-server", "--tests"])
                .env("CHRONICLE_TEST_STORE", "postgres")
                .env("CHRONICLE_TEST_POSTGRES", &postgres)
                .env("CHRONICLE_TEST_POSTGRES_CA", &authority),
        ),
    )?;
    let scratch = Scratch::new("wasm-tests")?;
    step("wasm tests in headless Chromium", tally.run(scratch.give(&mut wasm_command(&["--tests"]))))?;
    drop(scratch);
    step("release build", build_app(root))?;
    step("server build", cargo(&["build", "-p", "chronicle-server"]))?;
    let scratch = Scratch::new("e2e-tests")?;
    step(
        "end-to-end tests in headless Chromium",
        tally.run(scratch.give(e2e_command(root)?.env("CHRONICLE_TEST_POSTGRES", &postgres))),
    )?;
    drop(scratch);
    drop(throwaway);
    println!("\nAll checks passed.");
    println!("Summary: {} passed, {} failed", tally.passed, tally.failed);
    Ok(())
}

fn bench(root: &Path) -> Result<()> {
    ensure_build_tools(root)?;
    ensure_browser()?;
    build_app(root)?;
    let scratch = Scratch::new("bench")?;
    let mut table: Vec<(String, String)> = Vec::new();

    let native = output_text(Command::new("cargo").args([
        "run",
        "--quiet",
        "--profile",
        "bench",
        "-p",
        "chronicle-board",
        "--example",
        "replay",
    ]))?;
    table.extend(parse_rows(&native));

    // The in-browser rows measure the wasm as it ships: the release profile, size first. (At the
    // native rows' full speed the engine folds about a third faster, for 30 KB more of gzipped
    // app: see docs/performance.md.)
    let mut wasm = wasm_command(&["--release", "--features", "browser-bench", "--test", "browser_bench"]);
    wasm.arg("--").arg("--nocapture");
    let browser = output_text(scratch.give(&mut wasm))?;
    table.extend(parse_rows(&browser));

    // PostgreSQL's rows run on a throwaway cluster that flushes every commit, as SQLite does.
    let postgres = postgres::Postgres::start(true)?;
    let ingest = output_text(
        Command::new("cargo")
            .args(["run", "--quiet", "--release", "-p", "chronicle-server", "--example", "ingest"])
            .env("CHRONICLE_BENCH_POSTGRES", &postgres.url),
    )?;
    table.extend(parse_rows(&ingest));

    step("release build of the server", cargo(&["build", "--release", "-p", "chronicle-server"]))?;
    let load = output_text(
        scratch
            .give(&mut Command::new("node"))
            .arg("tests/bench/board_load.mjs")
            .env("CHRONICLE_DIST", root.join("dist"))
            .env("CHRONICLE_SERVER", root.join("target/release/chronicle-server"))
            .env("CHRONICLE_BENCH_POSTGRES", &postgres.url),
    )?;
    drop(postgres);
    table.extend(parse_rows(&load));

    let soak = output_text(
        Command::new("cargo")
            .args(["run", "--quiet", "--release", "-p", "chronicle-server", "--example", "soak"])
            .env("CHRONICLE_SERVER", root.join("target/release/chronicle-server")),
    )?;
    table.extend(parse_rows(&soak));

    let lighthouse = output_text(
        scratch
            .give(&mut Command::new("node"))
            .arg("tests/bench/lighthouse.mjs")
            .env("CHRONICLE_DIST", root.join("dist"))
            .env("CHRONICLE_SERVER", root.join("target/release/chronicle-server")),
    )?;
    table.extend(parse_rows(&lighthouse));

    table.extend(sizes(&root.join("dist"))?);
    table.extend(cold_start_beside_get_all(&table));

    let width = table.iter().map(|(k, _)| k.len()).max().unwrap_or(10);
    println!("\n{:width$}  result", "measure");
    println!("{}  {}", "-".repeat(width), "-".repeat(24));
    for (k, v) in &table {
        println!("{k:width$}  {v}");
    }
    println!("\nOne run on a shared machine; repeat before trusting a difference under ~20%.");
    let named = root.join("target/bench.json");
    std::fs::write(&named, bench_json(&table))?;
    println!("The named figures are in {}.", named.display());
    Ok(())
}

/// The figures `target/bench.json` names (documented in the README), each read from the row of
/// the table whose name starts with the text given, and the number's scale: the value's first
/// number is taken (the second for `second`), times `scale`.
const NAMED: &[(&str, &str, f64, bool)] = &[
    ("native_replay_1m_eps", "native replay, BoardView, 1000k events", 1e6, false),
    ("wasm_replay_1m_eps", "wasm replay, BoardView, 1000k events", 1e6, false),
    ("cold_start_100k_ms", "cold start, 100k synced events, with snapshot (", 1.0, false),
    ("cold_start_100k_painted_ms", "cold start, 100k synced events, with snapshot, to the board painted", 1.0, false),
    (
        "cold_start_100k_every_card_ms",
        "cold start, 100k synced events, with snapshot, to every card in the DOM",
        1.0,
        false,
    ),
    ("cold_start_1m_ms", "cold start, 1000k synced events, with snapshot (", 1.0, false),
    ("cold_start_100k_imported_ms", "cold start, 100k events imported from a file, not yet sent (", 1.0, false),
    ("import_100k_ms", "import of a 100k-event history file", 1.0, false),
    ("send_100k_imported_ms", "send of 100k events imported from a file", 1.0, false),
    ("open_1m_ms", "open a 1M-event board from its snapshot", 1.0, false),
    ("snapshot_1m_mb", "1M-event board: snapshot size", 1.0, false),
    ("catch_up_100k_ms", "catch-up, 100k events of a board in the clear", 1.0, false),
    ("catch_up_100k_private_ms", "catch-up, 100k events of a private board", 1.0, false),
    ("wasm_replay_vs_js_100k", "wasm replay vs the same fold in JavaScript, 100k events", 1.0, false),
    ("wasm_replay_vs_js_1m", "wasm replay vs the same fold in JavaScript, 1000k events", 1.0, false),
    ("idb_append_vs_dexie", "IndexedDB append vs Dexie bulkAdd", 1.0, false),
    ("raw_get_all_100k_ms", "raw IndexedDB getAll, 100k events", 1.0, false),
    ("cold_start_vs_raw_get_all", "cold start vs raw IndexedDB getAll, 100k events", 1.0, false),
    ("command_store_ms", "one command stored, private board", 1.0, false),
    ("command_store_clear_ms", "one command stored, board in the clear", 1.0, false),
    ("command_store_imported_ms", "one command stored, 100k events imported", 1.0, false),
    ("command_store_after_pause_ms", "one command stored after a pause, private board", 1.0, false),
    ("command_store_clear_after_pause_ms", "one command stored after a pause, board in the clear", 1.0, false),
    ("wasm_heap_1m_mb", "wasm heap held by an open 1M-event board", 1.0, false),
    ("edit_latency_empty_ms", "interaction: add a card, an empty board, History closed", 1.0, false),
    ("edit_latency_100k_ms", "interaction: add a card, 100k events, History closed", 1.0, false),
    ("edit_latency_100k_history_open_ms", "interaction: add a card, 100k events, History open", 1.0, false),
    ("move_latency_100k_ms", "interaction: move a card, 100k events, History closed", 1.0, false),
    ("seal_eps", "seal with WebCrypto", 1e3, false),
    ("open_eps", "open with WebCrypto", 1e3, false),
    ("read_events_100k_ms", "stored events read into memory, 100k", 1.0, true),
    ("card_history_100k_ms", "a card's own history, 100k events", 1.0, false),
    ("history_open_100k_ms", "open the History panel, 100k events", 1.0, false),
    ("history_open_1m_ms", "open the History panel, 1000k events", 1.0, false),
    ("history_open_1m_memory_mb", "the app's wasm memory with the History panel open, 1000k events", 1.0, false),
    ("app_gzip_kb", "release app size (raw / gzip)", 1.0, true),
    ("app_brotli_kb", "release app size as sent (brotli)", 1.0, false),
    ("lighthouse_mobile_performance", "Lighthouse mobile performance score", 1.0, false),
    ("lcp_mobile_ms", "Lighthouse mobile performance score", 1.0, true),
];

/// The ratio of a raw `getAll` of 100k events (what a JavaScript app would read at start) to
/// Chronicle's cold start on a board of as many events: above 1, Chronicle is usable sooner than
/// the peer has even read its events.
fn cold_start_beside_get_all(table: &[(String, String)]) -> Option<(String, String)> {
    let cold = figure(table, "cold start, 100k synced events, with snapshot (", 0)?;
    let get_all = figure(table, "raw IndexedDB getAll, 100k events", 0)?;
    Some((
        "cold start vs raw IndexedDB getAll, 100k events".to_owned(),
        format!("{:.2}x (cold start {cold:.0} ms, getAll alone {get_all:.0} ms)", get_all / cold),
    ))
}

/// The `nth` number (from 0) of the value of the row whose name starts with `row`.
fn figure(table: &[(String, String)], row: &str, nth: usize) -> Option<f64> {
    let (_, value) = table.iter().find(|(name, _)| name.starts_with(row))?;
    numbers(value).get(nth).copied()
}

/// The numbers of a value, in order: "3.5M events/s (287.9 ms)" holds 3.5 and 287.9.
fn numbers(value: &str) -> Vec<f64> {
    value
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|part| part.chars().any(|c| c.is_ascii_digit()))
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// A flat JSON object of the named figures found in `table`.
fn bench_json(table: &[(String, String)]) -> String {
    let figures: Vec<String> = NAMED
        .iter()
        .filter_map(|(key, row, scale, second)| {
            let number = figure(table, row, usize::from(*second))?;
            // Rounded to thousandths, so that a scale does not print binary noise (8.6M is 8600000).
            Some(format!("  \"{key}\": {}", (number * scale * 1000.0).round() / 1000.0))
        })
        .collect();
    format!("{{\n{}\n}}\n", figures.join(",\n"))
}

/// The property-based fuzz tests with many more cases than the suite runs, and the kill loop with
/// many more runs; each prints what it found.
fn fuzz(cases: Option<&str>) -> Result<()> {
    let cases: u32 = match cases {
        Some(n) => n.parse().with_context(|| format!("`{n}` is not a number of cases"))?,
        None => FUZZ_CASES,
    };
    let cases = [("CHRONICLE_FUZZ_CASES", cases.to_string())];
    step(
        "every endpoint's path, query and body",
        cargo_with_env(&["test", "--release", "-p", "chronicle-server", "--test", "decoder"], &cases),
    )?;
    step(
        "the app's decoders: envelopes, pages, history files, snapshots",
        cargo_with_env(&["test", "--release", "-p", "chronicle-board", "--test", "decoders"], &cases),
    )?;
    step(
        "hard kills of the server during push storms",
        cargo_with_env(
            &["test", "--release", "-p", "chronicle-server", "--test", "crash", "hard_kills", "--", "--nocapture"],
            &[("CHRONICLE_KILL_RUNS", KILL_RUNS.to_string())],
        ),
    )?;
    println!("\nNo input broke anything ({} cases each).", cases[0].1);
    Ok(())
}

fn cargo_with_env(args: &[&str], vars: &[(&str, String)]) -> Result<ExitStatus> {
    Ok(Command::new("cargo").args(args).envs(vars.iter().map(|(k, v)| (k, v))).status()?)
}

/// Rows are printed by the benchmark programs as `BENCH<TAB>name<TAB>value`.
fn parse_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let at = l.find("BENCH\t")?;
            let mut parts = l[at + 6..].splitn(2, '\t');
            Some((parts.next()?.to_owned(), parts.next()?.trim().to_owned()))
        })
        .collect()
}

fn sizes(dist: &Path) -> Result<Vec<(String, String)>> {
    let mut rows = Vec::new();
    // Raw, gzip -9, and brotli as the build wrote it beside each file (what a browser that takes
    // brotli downloads).
    let mut total = (0u64, 0u64, 0u64);
    // The build writes the styles into index.html.
    for ext in ["wasm", "js", "html"] {
        let (mut raw, mut gz, mut br) = (0, 0, 0);
        for entry in std::fs::read_dir(dist).context("dist/ exists after a build")? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == ext) {
                raw += std::fs::metadata(&path)?.len();
                let out = output(Command::new("gzip").args(["-9", "-c"]).arg(&path))?;
                gz += out.len() as u64;
                let mut brotli = path.into_os_string();
                brotli.push(".br");
                br += std::fs::metadata(brotli).map_or(0, |m| m.len());
            }
        }
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        rows.push((format!("release {ext} size (raw / gzip)"), format!("{} / {}", kb(raw), kb(gz))));
    }
    rows.push(("release app size (raw / gzip)".into(), format!("{} / {}", kb(total.0), kb(total.1))));
    rows.push(("release app size as sent (brotli)".into(), kb(total.2)));
    Ok(rows)
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn step(name: &str, status: Result<ExitStatus>) -> Result<()> {
    let status = status.with_context(|| format!("{name}: could not start"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

fn cargo(args: &[&str]) -> Result<ExitStatus> {
    Ok(Command::new("cargo").args(args).status()?)
}

/// A fresh directory given to a step as its `TMPDIR` and removed after it, passed or not: browsers
/// and their drivers, stopped by the test runners without a chance to tidy up, leave their profiles
/// there, about a hundred megabytes each, which would otherwise fill the disk run after run.
struct Scratch(PathBuf);

impl Scratch {
    fn new(step: &str) -> Result<Self> {
        let dir = env::temp_dir().join(format!("chronicle-{step}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("could not make {}", dir.display()))?;
        Ok(Self(dir))
    }

    fn give<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.env("TMPDIR", &self.0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wasm_command(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(["test", "-p", "chronicle", "--target", WASM_TARGET]).args(args);
    command.env("WASM_BINDGEN_TEST_TIMEOUT", "300");
    command
}

/// Test counts read from the closing lines of cargo's and node's test runners.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// Runs a test command, passing its output through, and adds up the counts it reports.
    fn run(&mut self, command: &mut Command) -> Result<ExitStatus> {
        use std::io::{BufRead, BufReader};
        let mut child = command.stdout(std::process::Stdio::piped()).spawn()?;
        let stdout = child.stdout.take().context("test output")?;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            self.read(&line);
        }
        Ok(child.wait()?)
    }

    fn read(&mut self, line: &str) {
        let number = |text: &str, word: &str| -> Option<u64> {
            let before = text.split(word).next()?.trim_end();
            before.rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        };
        if let Some(rest) = line.strip_prefix("test result: ") {
            self.passed += number(rest, " passed").unwrap_or(0);
            self.failed += number(rest, " failed").unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("# pass ") {
            self.passed += n.trim().parse().unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("# fail ") {
            self.failed += n.trim().parse().unwrap_or(0);
        }
    }
}

fn output(command: &mut Command) -> Result<Vec<u8>> {
    let out = command.output().with_context(|| format!("could not start {command:?}"))?;
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stdout));
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        bail!("{command:?} failed ({})", out.status);
    }
    Ok(out.stdout)
}

/// Standard output and standard error of a command that must succeed, as text: benchmark rows
/// may come on either (the wasm test runner forwards the browser console).
fn output_text(command: &mut Command) -> Result<String> {
    let out = command.output().with_context(|| format!("could not start {command:?}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        eprintln!("{text}");
        bail!("{command:?} failed ({})", out.status);
    }
    Ok(text)
}

fn path_with_node_tools(root: &Path) -> String {
    let bin = root.join("node_modules/.bin");
    format!("{}:{}", bin.display(), env::var("PATH").unwrap_or_default())
}

fn trunk(root: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("trunk").args(args).env("PATH", path_with_node_tools(root)).status()?;
    if !status.success() {
        bail!("trunk {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn build_app(root: &Path) -> Result<ExitStatus> {
    trunk(root, &["build", "--release"])?;
    Ok(ExitStatus::default())
}

fn e2e_command(root: &Path) -> Result<Command> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/e2e"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    let mut command = Command::new("node");
    command
        .arg("--test")
        .arg("--test-concurrency=1")
        .args(&files)
        .env("CHRONICLE_DIST", root.join("dist"))
        .env("CHRONICLE_SERVER", root.join("target/debug/chronicle-server"))
        .env("GECKODRIVER", cargo_bin("geckodriver"));
    Ok(command)
}

/// Where `cargo install` puts `program`.
fn cargo_bin(program: &str) -> PathBuf {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"));
    home.join("bin").join(program)
}

/// Whether `program --version` prints a line containing `version`.
fn has_version(program: &str, version: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(version))
}

fn ensure_build_tools(root: &Path) -> Result<()> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !String::from_utf8_lossy(&targets).lines().any(|l| l.trim() == WASM_TARGET) {
        println!("Installing the {WASM_TARGET} target");
        step("rustup target add", Ok(Command::new("rustup").args(["target", "add", WASM_TARGET]).status()?))?;
    }
    if !has_version("trunk", TRUNK) {
        println!("Installing Trunk {TRUNK} (several minutes, once)");
        step("install trunk", cargo(&["install", "trunk", "--version", TRUNK, "--locked"]))?;
    }
    if !has_version("wasm-bindgen", WASM_BINDGEN) || !has_version("wasm-bindgen-test-runner", WASM_BINDGEN) {
        // Not `--locked`: its lock file names a webpki-roots release the registry no longer has.
        println!("Installing wasm-bindgen-cli {WASM_BINDGEN} (several minutes, once)");
        step(
            "install wasm-bindgen-cli",
            cargo(&["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN, "--force"]),
        )?;
    }
    if Command::new("npm").arg("--version").output().is_err() {
        println!("Installing Node.js and npm from Debian");
        apt_install(&["nodejs", "npm"])?;
    }
    // Every package of package.json's lock, checked by a file each installs.
    let installed = [
        "node_modules/.bin/wasm-opt",
        "node_modules/playwright-core/package.json",
        "node_modules/selenium-webdriver/package.json",
        "node_modules/dexie/package.json",
        "node_modules/lighthouse/package.json",
        "node_modules/terser/package.json",
    ];
    if installed.iter().any(|file| !root.join(file).exists()) {
        println!("Installing wasm-opt, terser, playwright-core, selenium-webdriver, Dexie and Lighthouse from npm");
        step("npm ci", Ok(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).status()?))?;
    }
    Ok(())
}

fn ensure_machete() -> Result<()> {
    if !has_version("cargo-machete", MACHETE) {
        println!("Installing cargo-machete {MACHETE} (a minute, once)");
        step("install cargo-machete", cargo(&["install", "cargo-machete", "--version", MACHETE, "--locked"]))?;
    }
    Ok(())
}

fn ensure_browser() -> Result<()> {
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        println!("Installing Chromium and ChromeDriver from Debian");
        apt_install(&["chromium", "chromium-driver"])?;
    }
    Ok(())
}

/// Firefox with geckodriver, and WebKitGTK's driver with a virtual display, for the end-to-end
/// test that runs Chronicle in the engines besides Chromium.
fn ensure_other_engines() -> Result<()> {
    let missing = ["/usr/bin/firefox-esr", "/usr/bin/WebKitWebDriver", "/usr/bin/xvfb-run"]
        .iter()
        .any(|program| !Path::new(program).exists());
    if missing {
        println!("Installing Firefox, WebKitGTK's WebDriver and Xvfb from Debian");
        apt_install(&["firefox-esr", "webkit2gtk-driver", "xvfb", "xauth"])?;
    }
    if !has_version("geckodriver", GECKODRIVER) {
        println!("Installing geckodriver {GECKODRIVER} (a few minutes, once)");
        step("install geckodriver", cargo(&["install", "geckodriver", "--version", GECKODRIVER, "--locked"]))?;
    }
    Ok(())
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let (program, prefix): (&str, &[&str]) = if root { ("apt-get", &[]) } else { ("sudo", &["apt-get"]) };
    let run = |args: &[&str]| -> Result<()> {
        let status = Command::new(program).args(prefix).args(args).env("DEBIAN_FRONTEND", "noninteractive").status()?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    run(&["update"])?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(packages);
    run(&install)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_figures_are_read_from_the_rows_in_their_units() {
        let row = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        let table = [
            row("native replay, BoardView, 1000k events", "3.5M events/s (287.9 ms)"),
            // Before the row whose name begins its own: each figure is found by its whole name.
            row(
                "cold start, 100k synced events, with snapshot, to the board painted (median of 5)",
                "667 ms (min 640, max 702)",
            ),
            row("cold start, 1000k synced events, with snapshot (median of 5)", "522 ms (min 516, max 540)"),
            row("cold start, 100k synced events, with snapshot (median of 5)", "605 ms (min 578, max 651)"),
            row("seal with WebCrypto, 20k events, 1000 at a time", "57k events/s"),
            row(
                "open the History panel, 1000k events (click to the whole log listed, median of 3)",
                "2636 ms (min 2601, max 2702)",
            ),
            row(
                "open the History panel, 100k events (click to the whole log listed, median of 5)",
                "344 ms (min 338, max 360)",
            ),
            row("the app's wasm memory with the History panel open, 1000k events", "476 MB (159 MB before it opened)"),
            row("release app size (raw / gzip)", "1259.0 KB / 479.2 KB"),
            row("something else", "12 ms"),
        ];
        let expected = [
            "{",
            r#"  "native_replay_1m_eps": 3500000,"#,
            r#"  "cold_start_100k_ms": 605,"#,
            r#"  "cold_start_100k_painted_ms": 667,"#,
            r#"  "cold_start_1m_ms": 522,"#,
            r#"  "seal_eps": 57000,"#,
            r#"  "history_open_100k_ms": 344,"#,
            r#"  "history_open_1m_ms": 2636,"#,
            r#"  "history_open_1m_memory_mb": 476,"#,
            r#"  "app_gzip_kb": 479.2"#,
            "}",
            "",
        ];
        assert_eq!(bench_json(&table), expected.join("\n"));
    }
}
