fn main() -> std::process::ExitCode {
    contimg_monitor::cli::run::main()
}
