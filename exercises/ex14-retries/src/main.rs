fn main() -> std::process::ExitCode {
    shared::main::<ex14_retries::Lesson>()
}
