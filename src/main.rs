//! The `mitxonline` binary: see `mitxonline --help`.

fn main() -> std::process::ExitCode {
    mitxonline::cli::main()
}
