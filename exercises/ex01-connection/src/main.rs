fn main() -> std::process::ExitCode {
    shared::main::<ex01_connection::Lesson>()
}
