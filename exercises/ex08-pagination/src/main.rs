fn main() -> std::process::ExitCode {
    shared::main::<ex08_pagination::Lesson>()
}
