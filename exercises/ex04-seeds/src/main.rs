fn main() -> std::process::ExitCode {
    shared::main::<ex04_seeds::Lesson>()
}
