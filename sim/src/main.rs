//! The `tollgate-sim` binary: starts the emulator and prints `listening on URL` when ready.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tollgate_sim::{Config, Faults, Quotas, Seed, Sim};

/// A strict local emulator of Amazon API Gateway's usage-plan API.
#[derive(Debug, Parser)]
#[command(name = "tollgate-sim", version)]
struct Args {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed file (YAML) with REST APIs, API keys and usage plans.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Enforce AWS's account quotas of the management API (429 TooManyRequestsException).
    #[arg(long)]
    quotas: bool,
    /// Refill the quota buckets this many times faster than AWS (implies --quotas).
    #[arg(long, value_name = "F")]
    quota_speedup: Option<f64>,
    /// Share of requests answered with an injected 500.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    fault_500: f64,
    /// Share of requests answered with an injected 503.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    fault_503: f64,
    /// Share of requests whose connection is dropped without an answer.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    fault_drop: f64,
    /// Share of requests carried out, then dropped without an answer (a lost answer).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    fault_lost: f64,
    /// Share of requests answered with an injected 429 TooManyRequestsException.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    fault_429: f64,
    /// Milliseconds of latency added to every request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the fault generator (the same seed gives the same faults).
    #[arg(long, value_name = "N", default_value_t = 0)]
    fault_seed: u64,
    /// The AWS account STS GetCallerIdentity answers (12 digits).
    #[arg(long, value_name = "ID", default_value = tollgate_sim::DEFAULT_ACCOUNT_ID)]
    account_id: String,
    /// Draw faults only for these operations (comma-separated, e.g. UpdateUsage); default all.
    #[arg(long, value_name = "OP,...", value_delimiter = ',')]
    fault_only: Vec<String>,
}

impl Args {
    /// The emulator's config, checked with the library's rules ([`Config::check`]).
    fn config(&self) -> Result<Config, String> {
        let seed = match &self.seed {
            Some(path) => Some(Seed::from_file(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let quotas = match self.quota_speedup {
            Some(speedup) => Some(Quotas { speedup }),
            None => self.quotas.then(Quotas::default),
        };
        let faulty = self.fault_500 > 0.0
            || self.fault_503 > 0.0
            || self.fault_drop > 0.0
            || self.fault_lost > 0.0
            || self.fault_429 > 0.0
            || self.latency_ms > 0;
        let faults = faulty.then_some(Faults {
            seed: self.fault_seed,
            error_500_rate: self.fault_500,
            error_503_rate: self.fault_503,
            drop_rate: self.fault_drop,
            lost_rate: self.fault_lost,
            throttle_rate: self.fault_429,
            operations: self.fault_only.clone(),
            latency_ms: self.latency_ms,
            refusals: Vec::new(),
        });
        let config = Config {
            seed,
            quotas,
            faults,
            account_id: Some(self.account_id.clone()),
            ..Config::default()
        };
        config.check().map_err(|e| e.to_string())?;
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // --help and --version print to stdout and succeed; a usage error exits 1, like
            // every other error of the binary (clap's own default would be 2).
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let config = match args.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let sim = match Sim::start_on(config, args.port).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on {}", sim.endpoint())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    wait_for_signal().await;
    sim.stop().await;
    ExitCode::SUCCESS
}

/// Waits for SIGINT or (on Unix) SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C alone ends the emulator.
    let _ = tokio::signal::ctrl_c().await;
}
