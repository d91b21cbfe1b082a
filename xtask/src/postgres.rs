//! A throwaway PostgreSQL for the tests: Debian's server binaries (installed with apt when
//! missing), a cluster made with `initdb` in a temporary folder, run by `pg_ctl` as the `postgres`
//! user (PostgreSQL refuses to run as root) on a free loopback port, and stopped and removed when
//! dropped, also when a test step failed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A running throwaway cluster.
pub(crate) struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable`: the superuser on the
    /// `postgres` database, from which tests make a database of their own, without TLS.
    pub(crate) url: String,
    /// The certificate of the authority that signed the cluster's own: the cluster also takes
    /// TLS connections, for the tests of `sslmode=require`.
    pub(crate) ca: PathBuf,
}

/// The newest PostgreSQL server binaries under Debian's layout, if any are installed.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program` from `bin`, run as the `postgres` user when this process runs as root.
fn as_postgres(bin: &Path, program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

/// A certificate authority, and a server certificate for 127.0.0.1 signed by it, in `dir`.
fn certificates(dir: &Path) -> Result<()> {
    if Command::new("openssl").arg("version").output().is_err() {
        install("openssl")?;
    }
    let file = |name: &str| dir.join(name);
    std::fs::write(
        file("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n",
    )?;
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Chronicle test authority"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(file("ca.key"))
        .arg("-out")
        .arg(file("ca.pem")))?;
    run(Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(file("server.key"))
        .arg("-out")
        .arg(file("server.csr")))?;
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
        .arg(file("server.csr"))
        .arg("-CA")
        .arg(file("ca.pem"))
        .arg("-CAkey")
        .arg(file("ca.key"))
        .arg("-extfile")
        .arg(file("server.ext"))
        .arg("-out")
        .arg(file("server.pem")))?;
    run(Command::new("chmod").arg("600").arg(file("server.key")))?;
    Ok(())
}

/// Installs a Debian package.
fn install(package: &str) -> Result<()> {
    println!("Installing Debian's {package} for the server's tests");
    let mut command = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    run(command.args(["install", "-y", "--no-install-recommends", package]))
}

fn run(command: &mut Command) -> Result<()> {
    let out = command.output().with_context(|| format!("could not start {command:?}"))?;
    if !out.status.success() {
        bail!("{command:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

impl Postgres {
    /// Installs PostgreSQL if it is missing, then starts a fresh cluster. A cluster for tests
    /// skips flushing to disk; one for benchmarks (`durable`) commits as a production server
    /// does, so that its figures compare with SQLite's, which flushes every commit.
    pub(crate) fn start(durable: bool) -> Result<Postgres> {
        let bin = match binaries() {
            Some(bin) => bin,
            None => {
                install("postgresql")?;
                binaries().context("PostgreSQL was installed, but no initdb is under /usr/lib/postgresql")?
            }
        };
        let dir = std::env::temp_dir().join(format!("chronicle-postgres-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        certificates(&dir)?;
        if is_root() {
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data = dir.join("data");
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
        let postgres = Postgres { ca: dir.join("ca.pem"), bin, dir, url };
        run(as_postgres(&postgres.bin, "initdb").arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ]))?;
        let mut settings = format!(
            "-p {port} -k {0} -c listen_addresses=127.0.0.1 -c max_connections=300 -c ssl=on \
             -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key",
            postgres.dir.display()
        );
        if !durable {
            // Nothing in a test's cluster needs to survive a crash of the machine.
            settings.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        run(as_postgres(&postgres.bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-o", &settings, "-l"])
            .arg(postgres.dir.join("log"))
            .args(["-w", "start"]))?;
        println!("A throwaway PostgreSQL is running at {}", postgres.url);
        Ok(postgres)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = as_postgres(&self.bin, "pg_ctl").arg("-D").arg(&data).args(["-m", "immediate", "-w", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
