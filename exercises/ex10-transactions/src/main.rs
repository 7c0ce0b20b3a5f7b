fn main() -> std::process::ExitCode {
    shared::main::<ex10_transactions::Lesson>()
}
