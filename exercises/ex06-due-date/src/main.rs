fn main() -> std::process::ExitCode {
    shared::main::<ex06_due_date::Lesson>()
}
