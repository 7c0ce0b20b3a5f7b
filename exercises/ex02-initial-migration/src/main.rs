fn main() -> std::process::ExitCode {
    shared::main::<ex02_initial_migration::Lesson>()
}
