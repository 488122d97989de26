fn main() {
    std::process::exit(hunt::cli::main());
}
