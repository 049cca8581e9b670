//! `hmatrix` — the command-line interface. See `hmatrix --help` and the README.

mod args;
mod commands;
mod factored;
mod problem;
mod ranks;

use clap::Parser;
use ranks::Ranks;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic is a bug, but the user still gets one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error: {msg}");
    }));
    on_ranks()
}

/// One process: a panic exits with 101.
#[cfg(not(feature = "mpi"))]
fn on_ranks() -> ExitCode {
    std::panic::catch_unwind(|| cli(&Ranks::single())).unwrap_or(ExitCode::from(101))
}

/// Every MPI rank (or one process started without `mpirun`): a panic on any rank ends
/// every rank (`MPI_Abort`) instead of leaving the others waiting.
#[cfg(feature = "mpi")]
fn on_ranks() -> ExitCode {
    let mpi = match hmatrix::dist::Mpi::init() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let ranks = Ranks::group(&mpi);
    mpi.abort_on_panic(|| cli(&ranks))
}

/// Parses the arguments and runs the command; rank 0 prints, every rank exits with the
/// same code (0, or 2 after an error on any rank).
fn cli(ranks: &Ranks<'_>) -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind::*;
            let help =
                matches!(e.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand);
            if ranks.is_root() {
                if help {
                    let _ = e.print();
                } else {
                    let text = e.to_string();
                    eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
                }
            }
            return if help { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    match ranks.finish(commands::run(cli, ranks)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if ranks.is_root() {
                eprintln!("error: {e}");
            }
            ExitCode::from(2)
        }
    }
}
