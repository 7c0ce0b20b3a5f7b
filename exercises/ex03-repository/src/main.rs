fn main() -> std::process::ExitCode {
    shared::main::<ex03_repository::Lesson>()
}
