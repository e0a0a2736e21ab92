//! patlint's benchmark: wall time against the network's floor beside a hand-written
//! asyncio checker (aiohttp, 64 in flight) on the same local hosts, CPU, memory, start-up
//! and binary size.
//!
//! Run it with `./bench/run.sh` (which builds the released `dist` binary and installs moto and
//! aiohttp). The hosts are wiremock servers with 50 ms added to every answer, speaking
//! GitHub's, GitHub Enterprise Server's, GitLab's and Azure DevOps's token endpoints
//! (`mix.rs`); the same tokens are checked over plain HTTP, with 10 % of them rejected by
//! 401s that carry a spent rate limit, and over TLS behind a private CA (`tls.rs`). Every
//! run's verdicts, patlint's and the checker's, are compared with the ones each token must
//! get. Each request costs a round trip, and the tokens that name targets need two, one
//! after the other, so with C requests in flight the floor for R requests is
//! RTT × max(2, ceil(R / C)), C = 64 (the checker's; patlint's is 64 per host, so it may
//! beat this floor). Over TLS the floor adds one handshake, as measured here.
//!
//! The audit scenario (`audit.rs`, alone with `--audit`) lists 10,000 tokens from a local
//! GitHub organization and a local GitLab instance, beside a sequential client that
//! follows `Link` (`sequential_lister.py`).

mod audit;
mod aws;
mod mix;
mod tls;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONCURRENCY: u64 = 64;
const LATENCY: Duration = Duration::from_millis(50);

struct Args {
    patlint: PathBuf,
    python: PathBuf,
    runs: usize,
    sizes: Vec<u64>,
    moto: Option<PathBuf>,
    /// Only the audit scenario.
    audit_only: bool,
    /// Serve the audit's hosts (50 ms added to every answer) and write their policies
    /// here, for profiling patlint by hand.
    serve: Option<PathBuf>,
}

fn args() -> Args {
    let mut args = Args {
        patlint: PathBuf::from("target/dist/patlint"),
        python: PathBuf::from(".venv/bin/python"),
        runs: 3,
        sizes: vec![10, 100, 1000],
        moto: std::env::var_os("PATLINT_MOTO_SERVER").map(PathBuf::from),
        audit_only: false,
        serve: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--patlint" => args.patlint = PathBuf::from(it.next().expect("--patlint PATH")),
            "--python" => args.python = PathBuf::from(it.next().expect("--python PATH")),
            "--runs" => args.runs = it.next().expect("--runs N").parse().expect("a number"),
            "--quick" => args.sizes = vec![10, 100],
            "--moto" => args.moto = Some(PathBuf::from(it.next().expect("--moto PATH"))),
            "--audit" => args.audit_only = true,
            "--serve-audit" => {
                args.serve = Some(PathBuf::from(it.next().expect("--serve-audit DIR")))
            }
            other => panic!(
                "unknown argument {other}; known: --patlint PATH, --python PATH, --runs N, --quick, --moto PATH, --audit, --serve-audit DIR"
            ),
        }
    }
    args
}

/// One measured run of a child process: wall time, and the kernel's account of its
/// CPU time and peak memory (wait4's rusage).
struct Measure {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    code: i32,
}

/// Runs the command under GNU time, which reports the peak RSS of patlint alone: a
/// process exec'd straight from this (large) harness would inherit the harness's
/// high-water mark in `ru_maxrss`. Wall and CPU time come from wait4 on `time`, whose
/// rusage includes the child it waited for.
fn measure(cmd: &mut Command) -> Measure {
    measure_into(cmd, None)
}

/// [`measure`], with the command's standard output kept in `stdout`.
fn measure_into(cmd: &mut Command, stdout: Option<&Path>) -> Measure {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .stdout(match stdout {
            Some(file) => Stdio::from(std::fs::File::create(file).unwrap()),
            None => Stdio::null(),
        })
        .stderr(Stdio::null());
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let child = timed.spawn().expect("/usr/bin/time starts");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 is given pointers to our locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(waited > 0, "wait4 failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let max_rss_kib = std::fs::read_to_string(rss_file.path())
        .ok()
        .and_then(|text| text.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(-1);
    Measure {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib,
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    }
}

/// The run with the median wall time.
fn median(mut runs: Vec<Measure>) -> Measure {
    runs.sort_by_key(|m| m.wall);
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cores} cores, {cpu}")
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

/// One way of running the mix.
struct Scenario {
    label: &'static str,
    /// One token in this many is rejected by its host.
    rejected_every: u64,
    tls: bool,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        label: "mix, HTTP",
        rejected_every: 25,
        tls: false,
    },
    Scenario {
        label: "mix, 10 % rejected (401 with `x-ratelimit-remaining: 0`)",
        rejected_every: 10,
        tls: false,
    },
    Scenario {
        label: "mix, TLS (`ca_file`)",
        rejected_every: 25,
        tls: true,
    },
];

/// The mix's hosts for one scenario, with what TLS adds.
struct Setup {
    hosts: mix::Hosts,
    ca_file: Option<PathBuf>,
    handshake: Duration,
    protocols: tls::Protocols,
}

async fn setup(scenario: &Scenario, work: &Path) -> Setup {
    let mut hosts = mix::Hosts::start(LATENCY).await;
    let protocols = tls::Protocols::default();
    if !scenario.tls {
        return Setup {
            hosts,
            ca_file: None,
            handshake: Duration::ZERO,
            protocols,
        };
    }
    let authority = tls::Authority::new();
    let ca_file = work.join("bench-ca.pem");
    std::fs::write(&ca_file, &authority.ca_pem).unwrap();
    let mut urls = Vec::new();
    for server in &hosts.servers {
        urls.push(authority.front(*server.address(), &protocols).await);
    }
    let handshake = authority.handshake(&urls[0]).await;
    protocols.take();
    hosts.urls = urls;
    Setup {
        hosts,
        ca_file: Some(ca_file),
        handshake,
        protocols,
    }
}

/// The statuses patlint's JSON report gives, by token name.
fn patlint_statuses(stdout: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("patlint's JSON report does not parse ({e}): {text}"));
    json["tokens"]
        .as_array()
        .expect("a tokens array")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn checker_statuses(stdout: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(stdout).unwrap();
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the checker's output does not parse ({e}): {text}"))
}

/// Runs `cmd` `runs` times, checking every run's verdicts; the median run, and the wrong
/// verdicts of any run.
fn runs(
    runs: usize,
    mut cmd: impl FnMut() -> Command,
    stdout: &Path,
    statuses: fn(&Path) -> HashMap<String, String>,
    tokens: &[mix::Token],
) -> (Measure, Vec<String>) {
    let mut wrong = Vec::new();
    let measures = (0..runs)
        .map(|_| {
            let measure = measure_into(&mut cmd(), Some(stdout));
            wrong.extend(mix::wrong_verdicts(tokens, &statuses(stdout)));
            measure
        })
        .collect();
    (median(measures), wrong)
}

fn patlint_check(patlint: &Path, policy: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(patlint);
    cmd.env_clear()
        .envs(env.iter().cloned())
        .args(["check", "--format", "json", "--policy"])
        .arg(policy);
    cmd
}

struct Row {
    label: &'static str,
    n: u64,
    floor: Duration,
    patlint: Measure,
    checker: Duration,
    wrong: Vec<String>,
    protocols: String,
}

impl Row {
    fn bound(&self) -> Duration {
        self.floor.mul_f64(1.25) + Duration::from_millis(40)
    }

    fn markdown(&self) -> String {
        let wall = self.patlint.wall;
        let verdicts = if self.wrong.is_empty() {
            format!("✓ all {}", self.n)
        } else {
            format!("✗ {} wrong, first: {}", self.wrong.len(), self.wrong[0])
        };
        format!(
            "| {} | {} | {} | {} | {} ≤ {} | {} | {} | {:.3} ms | {:.1} MB | {} | {} |",
            self.label,
            self.n,
            secs(self.floor),
            secs(wall),
            mark(wall <= self.bound()),
            secs(self.bound()),
            secs(self.checker),
            mark(wall < self.checker),
            self.patlint.cpu.as_secs_f64() * 1000.0 / self.n as f64,
            self.patlint.max_rss_kib as f64 / 1024.0,
            verdicts,
            if self.protocols.is_empty() {
                "HTTP/1.1"
            } else {
                &self.protocols
            },
        )
    }
}

async fn mix_rows(args: &Args, work: &Path) {
    println!(
        "| scenario | N | floor | patlint (median) | wall ≤ 1.25 × floor + 40 ms | asyncio checker (median) | patlint faster | CPU / token | peak RSS | verdicts checked (patlint and checker, every run) | protocol |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for scenario in &SCENARIOS {
        let setup = setup(scenario, work).await;
        for &n in &args.sizes {
            let tokens = mix::tokens(n, scenario.rejected_every);
            let policy = work.join(format!("mix-{n}.toml"));
            std::fs::write(
                &policy,
                mix::policy(&tokens, &setup.hosts, setup.ca_file.as_deref()),
            )
            .unwrap();
            let input = work.join(format!("mix-{n}.json"));
            std::fs::write(
                &input,
                mix::checker_input(&tokens, &setup.hosts).to_string(),
            )
            .unwrap();
            let env = mix::env(&tokens);
            let stdout = work.join("stdout.json");
            let (patlint, mut wrong) = tokio::task::block_in_place(|| {
                runs(
                    args.runs,
                    || patlint_check(&args.patlint, &policy, &env),
                    &stdout,
                    patlint_statuses,
                    &tokens,
                )
            });
            let protocols = setup.protocols.take();
            let (checker, checker_wrong) = tokio::task::block_in_place(|| {
                runs(
                    args.runs,
                    || {
                        let mut cmd = Command::new(&args.python);
                        cmd.arg("bench/asyncio_checker.py").arg(&input);
                        if let Some(ca_file) = &setup.ca_file {
                            cmd.arg("--ca-file").arg(ca_file);
                        }
                        cmd
                    },
                    &stdout,
                    checker_statuses,
                    &tokens,
                )
            });
            // The checker's connections (aiohttp offers no ALPN) are not patlint's.
            setup.protocols.take();
            wrong.extend(checker_wrong.into_iter().map(|w| format!("checker: {w}")));
            let row = Row {
                label: scenario.label,
                n,
                floor: mix::floor(&tokens, LATENCY, CONCURRENCY) + setup.handshake,
                patlint,
                checker: checker.wall,
                wrong,
                protocols,
            };
            println!("{}", row.markdown());
        }
        if scenario.tls {
            println!(
                "\nOne TCP connect and TLS handshake to a front: {} (median of 21), in the TLS floor.",
                ms(setup.handshake)
            );
        }
    }
}

/// `--version`, `validate` of the 1,000-token mix, and the binary's size.
fn start_up(args: &Args, work: &Path, hosts: &mix::Hosts) {
    let version = median(
        (0..30)
            .map(|_| measure(Command::new(&args.patlint).arg("--version")))
            .collect(),
    );
    let policy = work.join("validate-1000.toml");
    std::fs::write(&policy, mix::policy(&mix::tokens(1000, 25), hosts, None)).unwrap();
    let validate = median(
        (0..30)
            .map(|_| {
                measure(
                    Command::new(&args.patlint)
                        .arg("validate")
                        .arg("--policy")
                        .arg(&policy),
                )
            })
            .collect(),
    );
    assert_eq!(validate.code, 0, "the 1,000-token policy is valid");
    let size = std::fs::metadata(&args.patlint).unwrap().len();
    println!("| measure | value | target |\n|---|---|---|");
    println!(
        "| `patlint --version` | {} | {} ≤ 5 ms |",
        ms(version.wall),
        mark(version.wall <= Duration::from_millis(5))
    );
    println!(
        "| `patlint validate` (1,000 tokens) | {} | {} ≤ 50 ms |",
        ms(validate.wall),
        mark(validate.wall <= Duration::from_millis(50))
    );
    println!(
        "| binary (stripped) | {:.1} MB | {} ≤ 20 MB |\n",
        size as f64 / 1e6,
        mark(size <= 20_000_000)
    );
}

async fn aws_rows(args: &Args, work: &Path) {
    let Some(moto_binary) = args.moto.as_ref().filter(|m| m.is_file()) else {
        println!("\nAWS rows skipped: moto is not installed (bench/run.sh installs it).");
        return;
    };
    let moto = aws::start_moto(moto_binary);
    println!("\n| aws-iam (moto) | N | latency | patlint (median) | floor | target | exit |");
    println!("|---|---|---|---|---|---|---|");
    for (n, latency_ms) in [(10u64, 0u64), (10, 50), (100, 0), (100, 50)] {
        let keys = aws::moto_keys(moto.1, n).await;
        let proxy = aws::latency_proxy(moto.1, Duration::from_millis(latency_ms)).await;
        let mut text = String::from("version = 1\n");
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_owned(), format!("http://{proxy}")),
            ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
            ("HOME".to_owned(), work.display().to_string()),
        ];
        for (i, (id, secret)) in keys.iter().enumerate() {
            text.push_str(&format!("\n[[token]]\nname = \"k{i}\"\nhost = \"aws-iam\"\naccess_key_id = {{ env = \"AK{i}\" }}\nsecret = {{ env = \"SK{i}\" }}\nmax_lifespan = \"90d\"\n"));
            env.push((format!("AK{i}"), id.clone()));
            env.push((format!("SK{i}"), secret.clone()));
        }
        let policy = work.join(format!("aws-{n}-{latency_ms}.toml"));
        std::fs::write(&policy, text).unwrap();
        let result = tokio::task::block_in_place(|| {
            median(
                (0..args.runs)
                    .map(|_| measure(&mut patlint_check(&args.patlint, &policy, &env)))
                    .collect(),
            )
        });
        let floor = Duration::from_millis(2 * latency_ms * n.div_ceil(CONCURRENCY));
        let target = if n == 10 && latency_ms == 50 {
            format!(
                "{} ≤ 400 ms",
                mark(result.wall <= Duration::from_millis(400))
            )
        } else {
            "— (moto-bound)".to_owned()
        };
        println!(
            "| | {n} | {latency_ms} ms | {} | {} | {target} | {} |",
            secs(result.wall),
            secs(floor),
            result.code
        );
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    if let Some(dir) = &args.serve {
        return serve_audit(dir).await;
    }
    assert!(
        args.patlint.is_file(),
        "{} is missing: build it with `cargo build --profile dist` (bench/run.sh does)",
        args.patlint.display()
    );
    assert!(
        args.python.is_file(),
        "{} is missing: bench/run.sh makes a virtualenv with aiohttp",
        args.python.display()
    );
    let work = tempfile::tempdir().unwrap();
    println!(
        "# patlint benchmark\n\nMachine: {}. patlint: `{}`; medians of {} runs; {} ms added to every answer. Floor = RTT × max(depth, ceil(requests / {CONCURRENCY})): the GitHub and Azure DevOps tokens read their targets after their own request (two round trips, three and two requests).\n",
        machine(),
        args.patlint.display(),
        args.runs,
        LATENCY.as_millis()
    );
    if !args.audit_only {
        let hosts = mix::Hosts::start(LATENCY).await;
        start_up(&args, work.path(), &hosts);
        mix_rows(&args, work.path()).await;
        aws_rows(&args, work.path()).await;
    }
    audit_rows(&args, work.path()).await;
}

/// One host's audit row: patlint at 50 ms in the JSON and the human format (its listing
/// window where the requests land, its wall time, its CPU time, which is all of its own
/// processing: reading the pages, matching, judging and rendering, and its memory),
/// beside the sequential client at 50 ms.
async fn audit_rows(args: &Args, work: &Path) {
    println!(
        "\n| audit listing | pages (requests) | listing window (median) | window ≤ 1.25 × RTT × (1 + ⌈(pages − 1) / {CONCURRENCY}⌉) + 40 ms | patlint's processing: CPU time, JSON / human (median) | patlint audit, JSON / human (median) | sequential client following `Link` (median) | patlint ahead | peak RSS, JSON / human | listed tokens counted (every run) | human report lines per listed token |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for host in [audit::Host::Github, audit::Host::Gitlab] {
        let server = audit::Server::start(host, LATENCY).await;
        let env = audit::env(host);
        let policy = work.join("audit.toml");
        std::fs::write(&policy, audit::policy(&server)).unwrap();
        let stdout = work.join("audit.out");
        let mut windows = Vec::new();
        let mut counts = Vec::new();
        let mut human_lines = 0;
        let mut audit = |format: &str| {
            let runs: Vec<Measure> = tokio::task::block_in_place(|| {
                (0..args.runs)
                    .map(|_| {
                        server.reset();
                        let mut cmd = audit::patlint_audit(&args.patlint, &policy, &env, format);
                        let measure = measure_into(&mut cmd, Some(&stdout));
                        windows.push(server.window());
                        let out = std::fs::read_to_string(&stdout).unwrap();
                        match format {
                            "json" => counts.push(audit::counted(&out, host)),
                            _ => human_lines = out.lines().count(),
                        }
                        measure
                    })
                    .collect()
            });
            let peak = runs.iter().map(|m| m.max_rss_kib).max().unwrap_or(-1);
            let mut cpu: Vec<Duration> = runs.iter().map(|m| m.cpu).collect();
            cpu.sort();
            (median(runs), cpu[cpu.len() / 2], peak)
        };
        let (json, json_cpu, json_peak) = audit("json");
        let (human, human_cpu, human_peak) = audit("human");
        let mut sequential_counts = Vec::new();
        let sequential = tokio::task::block_in_place(|| {
            median(
                (0..args.runs)
                    .map(|_| {
                        let m = measure_into(
                            &mut audit::sequential(&args.python, &server),
                            Some(&stdout),
                        );
                        sequential_counts.push(
                            std::fs::read_to_string(&stdout)
                                .unwrap()
                                .trim()
                                .parse::<usize>()
                                .unwrap_or(0),
                        );
                        m
                    })
                    .collect(),
            )
        });
        windows.sort();
        let (window, requests) = windows[windows.len() / 2];
        let pages = audit::pages();
        let rounds = 1 + (pages as u64 - 1).div_ceil(CONCURRENCY);
        let bound = (LATENCY * rounds as u32).mul_f64(1.25) + Duration::from_millis(40);
        let all_counted = counts.iter().all(|&n| n == audit::LISTED)
            && sequential_counts.iter().all(|&n| n == audit::LISTED);
        let slowest = json.wall.max(human.wall);
        let peak = json_peak.max(human_peak);
        let per_token = human_lines as f64 / audit::LISTED as f64;
        println!(
            "| {} | {pages} ({requests}) | {} | {} ≤ {} | {} {} / {} | {} / {} | {} | {} | {} {:.1} / {:.1} MB | {} {} | {} {per_token:.2} ({human_lines} lines) |",
            host.label(),
            secs(window),
            mark(window <= bound),
            secs(bound),
            mark(json_cpu.max(human_cpu) < Duration::from_millis(300)),
            secs(json_cpu),
            secs(human_cpu),
            secs(json.wall),
            secs(human.wall),
            secs(sequential.wall),
            mark(slowest < sequential.wall),
            mark(peak <= 64 * 1024),
            json_peak as f64 / 1024.0,
            human_peak as f64 / 1024.0,
            mark(all_counted),
            if all_counted {
                format!("all {}", audit::LISTED)
            } else {
                format!("patlint {counts:?}, client {sequential_counts:?}")
            },
            mark(per_token <= 3.0),
        );
    }
}

/// Serves both audit hosts, with 50 ms added to every answer, until killed, with each one's policy
/// (`DIR/github.toml`, `DIR/gitlab.toml`) and environment (`DIR/github.env`, one
/// `NAME=VALUE` a line) written beside: `env $(cat DIR/github.env) patlint audit --policy
/// DIR/github.toml` runs the audit by hand (under a profiler, say).
async fn serve_audit(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut servers = Vec::new();
    for (host, name) in [
        (audit::Host::Github, "github"),
        (audit::Host::Gitlab, "gitlab"),
    ] {
        let server = audit::Server::start(host, LATENCY).await;
        std::fs::write(dir.join(format!("{name}.toml")), audit::policy(&server)).unwrap();
        let env: Vec<String> = audit::env(host)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        std::fs::write(dir.join(format!("{name}.env")), env.join("\n") + "\n").unwrap();
        servers.push(server);
    }
    println!("serving; policies in {}", dir.display());
    std::future::pending::<()>().await;
}
