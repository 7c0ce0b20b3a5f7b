fn main() -> std::process::ExitCode {
    shared::main::<ex09_keyset_pagination::Lesson>()
}
